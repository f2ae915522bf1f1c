/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C library's own functions, behind the ones this library interposes:
 * what every call that is not about a served path goes to, unchanged.
 * Resolved once with dlsym(RTLD_NEXT), before main() and on first use
 * (another library's constructor may call us before ours ran).  The list
 * of them, with their prototypes, is libc_functions.def.
 */
#ifndef MLC_PRELOAD_REAL_C_H
#define MLC_PRELOAD_REAL_C_H

#include <dirent.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct statx;
struct pollfd; /* <poll.h> and the core's <linux/poll.h> clash in C++ */

#define MLCPL_NEEDED 1
#define MLCPL_OPTIONAL 0

/* One pointer per function of libc_functions.def, by its name. */
struct mlcpl_real {
#define MLCPL_LIBC(ret, name, params, need) ret(*name) params;
#include "preload/libc_functions.def"
#undef MLCPL_LIBC
};

extern struct mlcpl_real mlcpl_real_fns;
extern int mlcpl_real_ready;
const struct mlcpl_real *mlcpl_real_resolve(void);

static inline const struct mlcpl_real *rl(void)
{
	if (__builtin_expect(
		    __atomic_load_n(&mlcpl_real_ready, __ATOMIC_ACQUIRE), 1))
		return &mlcpl_real_fns;
	return mlcpl_real_resolve();
}

#ifdef __cplusplus
}
#endif

#endif /* MLC_PRELOAD_REAL_C_H */
