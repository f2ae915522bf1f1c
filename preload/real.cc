// SPDX-License-Identifier: GPL-2.0
#include "preload/real.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

namespace mlc::preload {

namespace {

template <typename Fn>
void bind(Fn *&slot, const char *name, bool required = true)
{
	slot = reinterpret_cast<Fn *>(dlsym(RTLD_NEXT, name));
	if (!slot && required) {
		static const char msg[] =
			"libmlcore-preload: a C library function "
			"is missing; cannot run\n";
		(void)!::write(2, msg, sizeof(msg) - 1);
		std::abort();
	}
}

void resolve(Real &r)
{
#define MLCPL_LIBC(ret, name, params, need) bind(r.name, #name, need);
#include "preload/libc_functions.def"
#undef MLCPL_LIBC
}

} // namespace

} // namespace mlc::preload

extern "C" {

struct mlcpl_real mlcpl_real_fns;
int mlcpl_real_ready;

// Idempotent: two threads racing here store the same pointers.
const struct mlcpl_real *mlcpl_real_resolve(void)
{
	static std::atomic<int> busy{ 0 };
	if (busy.exchange(1) == 0) {
		mlc::preload::resolve(mlcpl_real_fns);
		__atomic_store_n(&mlcpl_real_ready, 1, __ATOMIC_RELEASE);
	} else {
		while (!__atomic_load_n(&mlcpl_real_ready, __ATOMIC_ACQUIRE)) {
		}
	}
	return &mlcpl_real_fns;
}

} // extern "C"
