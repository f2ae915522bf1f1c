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
		static const char msg[] = "libmlcore-preload: a C library function "
					  "is missing; cannot run\n";
		(void)!::write(2, msg, sizeof(msg) - 1);
		std::abort();
	}
}

void resolve(Real &r)
{
	bind(r.open, "open");
	bind(r.openat, "openat");
	bind(r.close, "close");
	bind(r.close_range, "close_range", false);
	bind(r.closefrom, "closefrom", false);
	bind(r.read, "read");
	bind(r.write, "write");
	bind(r.pread, "pread");
	bind(r.pwrite, "pwrite");
	bind(r.readv, "readv");
	bind(r.writev, "writev");
	bind(r.preadv, "preadv");
	bind(r.pwritev, "pwritev");
	bind(r.preadv2, "preadv2", false);
	bind(r.pwritev2, "pwritev2", false);
	bind(r.lseek, "lseek");
	bind(r.ioctl, "ioctl");
	bind(r.fcntl, "fcntl");
	bind(r.dup, "dup");
	bind(r.dup2, "dup2");
	bind(r.dup3, "dup3");
	bind(r.flock, "flock");
	bind(r.stat, "stat");
	bind(r.lstat, "lstat");
	bind(r.fstat, "fstat");
	bind(r.fstatat, "fstatat");
	bind(r.statx, "statx", false);
	bind(r.xstat, "__xstat", false);
	bind(r.lxstat, "__lxstat", false);
	bind(r.fxstat, "__fxstat", false);
	bind(r.fxstatat, "__fxstatat", false);
	bind(r.access, "access");
	bind(r.faccessat, "faccessat");
	bind(r.euidaccess, "euidaccess");
	bind(r.readlink, "readlink");
	bind(r.readlinkat, "readlinkat");
	bind(r.mmap, "mmap");
	bind(r.poll, "poll");
	bind(r.ppoll, "ppoll");
	bind(r.select, "select");
	bind(r.pselect, "pselect");
	bind(r.sendfile, "sendfile");
	bind(r.copy_file_range, "copy_file_range", false);
	bind(r.splice, "splice");
	bind(r.fopen, "fopen");
	bind(r.fdopen, "fdopen");
	bind(r.freopen, "freopen");
	bind(r.fclose, "fclose");
	bind(r.opendir, "opendir");
	bind(r.fdopendir, "fdopendir");
	bind(r.readdir, "readdir");
	bind(r.readdir64, "readdir64");
	bind(r.closedir, "closedir");
	bind(r.rewinddir, "rewinddir");
	bind(r.dirfd, "dirfd");
	bind(r.getxattr, "getxattr");
	bind(r.lgetxattr, "lgetxattr");
	bind(r.fgetxattr, "fgetxattr");
	bind(r.listxattr, "listxattr");
	bind(r.llistxattr, "llistxattr");
	bind(r.flistxattr, "flistxattr");
	bind(r.setxattr, "setxattr");
	bind(r.lsetxattr, "lsetxattr");
	bind(r.fsetxattr, "fsetxattr");
	bind(r.removexattr, "removexattr");
	bind(r.lremovexattr, "lremovexattr");
	bind(r.fremovexattr, "fremovexattr");
	bind(r.sigaction, "sigaction");
	bind(r.signal, "signal");
	bind(r.execve, "execve");
	bind(r.execvpe, "execvpe");
	bind(r.fexecve, "fexecve");
	bind(r.posix_spawn, "posix_spawn");
	bind(r.posix_spawnp, "posix_spawnp");
}

}  // namespace

}  // namespace mlc::preload

extern "C" {

struct mlcpl_real mlcpl_real_fns;
int mlcpl_real_ready;

// Idempotent: two threads racing here store the same pointers.
const struct mlcpl_real *mlcpl_real_resolve(void)
{
	static std::atomic<int> busy{0};
	if (busy.exchange(1) == 0) {
		mlc::preload::resolve(mlcpl_real_fns);
		__atomic_store_n(&mlcpl_real_ready, 1, __ATOMIC_RELEASE);
	} else {
		while (!__atomic_load_n(&mlcpl_real_ready, __ATOMIC_ACQUIRE)) {
		}
	}
	return &mlcpl_real_fns;
}

}  // extern "C"
