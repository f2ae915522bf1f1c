/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C library's own functions, behind the ones this library interposes:
 * what every call that is not about a served path goes to, unchanged.
 * Resolved once with dlsym(RTLD_NEXT), before main() and on first use
 * (another library's constructor may call us before ours ran).
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
struct pollfd;	/* <poll.h> and the core's <linux/poll.h> clash in C++ */

struct mlcpl_real {
	int (*open)(const char *, int, ...);
	int (*openat)(int, const char *, int, ...);
	int (*close)(int);
	int (*close_range)(unsigned int, unsigned int, int);
	void (*closefrom)(int);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*write)(int, const void *, size_t);
	ssize_t (*pread)(int, void *, size_t, off_t);
	ssize_t (*pwrite)(int, const void *, size_t, off_t);
	ssize_t (*readv)(int, const struct iovec *, int);
	ssize_t (*writev)(int, const struct iovec *, int);
	ssize_t (*preadv)(int, const struct iovec *, int, off_t);
	ssize_t (*pwritev)(int, const struct iovec *, int, off_t);
	ssize_t (*preadv2)(int, const struct iovec *, int, off_t, int);
	ssize_t (*pwritev2)(int, const struct iovec *, int, off_t, int);
	off_t (*lseek)(int, off_t, int);
	int (*ioctl)(int, unsigned long, ...);
	int (*fcntl)(int, int, ...);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*flock)(int, int);
	int (*stat)(const char *, struct stat *);
	int (*lstat)(const char *, struct stat *);
	int (*fstat)(int, struct stat *);
	int (*fstatat)(int, const char *, struct stat *, int);
	int (*statx)(int, const char *, int, unsigned int, struct statx *);
	int (*xstat)(int, const char *, struct stat *);
	int (*lxstat)(int, const char *, struct stat *);
	int (*fxstat)(int, int, struct stat *);
	int (*fxstatat)(int, int, const char *, struct stat *, int);
	int (*access)(const char *, int);
	int (*faccessat)(int, const char *, int, int);
	int (*euidaccess)(const char *, int);
	ssize_t (*readlink)(const char *, char *, size_t);
	ssize_t (*readlinkat)(int, const char *, char *, size_t);
	void *(*mmap)(void *, size_t, int, int, int, off_t);
	int (*poll)(struct pollfd *, unsigned long, int);
	int (*ppoll)(struct pollfd *, unsigned long, const struct timespec *,
		     const sigset_t *);
	int (*select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
	int (*pselect)(int, fd_set *, fd_set *, fd_set *, const struct timespec *,
		       const sigset_t *);
	ssize_t (*sendfile)(int, int, off_t *, size_t);
	ssize_t (*copy_file_range)(int, off_t *, int, off_t *, size_t, unsigned int);
	ssize_t (*splice)(int, off_t *, int, off_t *, size_t, unsigned int);
	FILE *(*fopen)(const char *, const char *);
	FILE *(*fdopen)(int, const char *);
	FILE *(*freopen)(const char *, const char *, FILE *);
	int (*fclose)(FILE *);
	DIR *(*opendir)(const char *);
	DIR *(*fdopendir)(int);
	struct dirent *(*readdir)(DIR *);
	struct dirent64 *(*readdir64)(DIR *);
	int (*closedir)(DIR *);
	void (*rewinddir)(DIR *);
	int (*dirfd)(DIR *);
	ssize_t (*getxattr)(const char *, const char *, void *, size_t);
	ssize_t (*lgetxattr)(const char *, const char *, void *, size_t);
	ssize_t (*fgetxattr)(int, const char *, void *, size_t);
	ssize_t (*listxattr)(const char *, char *, size_t);
	ssize_t (*llistxattr)(const char *, char *, size_t);
	ssize_t (*flistxattr)(int, char *, size_t);
	int (*setxattr)(const char *, const char *, const void *, size_t, int);
	int (*lsetxattr)(const char *, const char *, const void *, size_t, int);
	int (*fsetxattr)(int, const char *, const void *, size_t, int);
	int (*removexattr)(const char *, const char *);
	int (*lremovexattr)(const char *, const char *);
	int (*fremovexattr)(int, const char *);
	int (*sigaction)(int, const struct sigaction *, struct sigaction *);
	sighandler_t (*signal)(int, sighandler_t);
	int (*execve)(const char *, char *const[], char *const[]);
	int (*execvpe)(const char *, char *const[], char *const[]);
	int (*fexecve)(int, char *const[], char *const[]);
	int (*posix_spawn)(pid_t *, const char *, const posix_spawn_file_actions_t *,
			   const posix_spawnattr_t *, char *const[], char *const[]);
	int (*posix_spawnp)(pid_t *, const char *, const posix_spawn_file_actions_t *,
			    const posix_spawnattr_t *, char *const[], char *const[]);
};

extern struct mlcpl_real mlcpl_real_fns;
extern int mlcpl_real_ready;
const struct mlcpl_real *mlcpl_real_resolve(void);

static inline const struct mlcpl_real *rl(void)
{
	if (__builtin_expect(__atomic_load_n(&mlcpl_real_ready, __ATOMIC_ACQUIRE), 1))
		return &mlcpl_real_fns;
	return mlcpl_real_resolve();
}

#ifdef __cplusplus
}
#endif

#endif /* MLC_PRELOAD_REAL_C_H */
