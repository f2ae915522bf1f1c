// SPDX-License-Identifier: GPL-2.0
/*
 * The C library's entry points this library interposes (LD_PRELOAD).  Each
 * one asks the door whether its descriptor or path is served; if not, the
 * C library's own function runs, unchanged.  Nothing is decided here but
 * where a call goes: the answers come from the door (door_api.h).
 *
 * Written in C so that every definition has exactly the C library's
 * prototype.  glibc 2.36 on x86_64: the *64 names are the same functions,
 * stat() and friends are real symbols (2.33+), and the __xstat family is
 * kept for programs linked against older releases.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "preload/door_api.h"

extern void __chk_fail(void) __attribute__((noreturn));
#include "preload/real_c.h"

#define EXPORT __attribute__((visibility("default")))

/* name is another symbol of target, the same function (the *64 names on
 * x86_64, the _FORTIFY_SOURCE forms that check nothing here). */
#define ALIAS(name, target)          \
	extern __typeof(target) name \
		__attribute__((alias(#target), visibility("default")))

/* The C library's own name, or ENOSYS where this glibc lacks it. */
#define REAL_OR_ENOSYS(name, ...) \
	(rl()->name ? rl()->name(__VA_ARGS__) : (errno = ENOSYS, -1))

/* A call on descriptor fd: the door's (door_call, which sees the handle
 * as h) when fd is served, else the C library's (real_call). */
#define SERVED_OR_REAL(fd, door_call, real_call)           \
	do {                                               \
		struct mlcpl_handle *h = mlcpl_served(fd); \
		if (h)                                     \
			return ret(door_call);             \
		return real_call;                          \
	} while (0)

/* The one variadic argument after last (a mode, an ioctl or fcntl
 * argument), read only when present says it was passed. */
#define VA_ONE(last, type, present)            \
	({                                     \
		type v_ = 0;                   \
		if (present) {                 \
			va_list ap;            \
			va_start(ap, last);    \
			v_ = va_arg(ap, type); \
			va_end(ap);            \
		}                              \
		v_;                            \
	})

/* GCC cannot see that poll_served() fills the arrays it is given. */
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

/* A door result (>= 0 or -errno) as the C library returns it. */
static long ret(long r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

/* "" (AT_EMPTY_PATH's path); a helper, since glibc declares most path
 * parameters nonnull while the kernel accepts NULL here. */
__attribute__((noinline)) static int empty_path(const char *p)
{
	return p && !*p;
}

/* Whether a path call must be looked at (not from inside the door). */
static int watching(void)
{
	return !mlcpl_in_door;
}

static void std_sync(int fd);

__attribute__((constructor)) static void preload_init(void)
{
	mlcpl_init();
	for (int fd = 0; fd <= 2;
	     fd++) /* inherited: `cmd > /sys/.../control` */
		std_sync(fd);
}

__attribute__((destructor)) static void preload_fini(void)
{
	mlcpl_exit();
}

/* --- open ---------------------------------------------------------------- */

static int needs_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

static int do_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	if (watching()) {
		/* O_NOFOLLOW, and O_CREAT|O_EXCL, do not follow a last symlink. */
		int excl = (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL);
		int how = (flags & O_NOFOLLOW) || excl ? MLCPL_NOFOLLOW : 0;
		struct mlcpl_lookup l = mlcpl_lookup_path(dirfd, path, how);
		if (l.kind != MLCPL_PASS) {
			int fd = (int)ret(mlcpl_open(dirfd, path, &l, flags));
			std_sync(fd); /* `exec 1>/sys/...` after close(1) */
			return fd;
		}
		path = l.path;
	}
	return rl()->openat(dirfd, path, flags, mode);
}

EXPORT int open(const char *path, int flags, ...)
{
	return do_openat(AT_FDCWD, path, flags,
			 VA_ONE(flags, mode_t, needs_mode(flags)));
}

EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	return do_openat(dirfd, path, flags,
			 VA_ONE(flags, mode_t, needs_mode(flags)));
}

/* _FORTIFY_SOURCE's forms of open without a mode argument. */
EXPORT int __open_2(const char *path, int flags)
{
	return do_openat(AT_FDCWD, path, flags, 0);
}

EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	return do_openat(dirfd, path, flags, 0);
}

EXPORT int creat(const char *path, mode_t mode)
{
	return do_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

ALIAS(open64, open);
ALIAS(openat64, openat);
ALIAS(__open64_2, __open_2);
ALIAS(__openat64_2, __openat_2);
ALIAS(creat64, creat);

/* --- stdio: a served FILE is a cookie stream over the served descriptor -- */

static ssize_t cookie_read(void *c, char *buf, size_t size)
{
	int fd = (int)(intptr_t)c;
	struct mlcpl_handle *h = mlcpl_served(fd);
	return h ? ret(mlcpl_read(h, buf, size)) : ret(-EBADF);
}

static ssize_t cookie_write(void *c, const char *buf, size_t size)
{
	int fd = (int)(intptr_t)c;
	struct mlcpl_handle *h = mlcpl_served(fd);
	long r = h ? mlcpl_write(h, buf, size) : -EBADF;
	/* stdio treats 0 as an error: a write that wrote nothing failed. */
	return r < 0 ? ret(r) : r;
}

static int cookie_seek(void *c, off64_t *pos, int whence)
{
	int fd = (int)(intptr_t)c;
	struct mlcpl_handle *h = mlcpl_served(fd);
	int64_t r = h ? mlcpl_lseek(h, *pos, whence) : -EBADF;
	if (r < 0)
		return (int)ret(r);
	*pos = r;
	return 0;
}

static int cookie_close(void *c)
{
	int fd = (int)(intptr_t)c;
	return (int)ret(mlcpl_served(fd) ? mlcpl_close(fd) : -EBADF);
}

/* fopen's mode string as open(2) flags (glibc's reading of it); -1 when
 * it is not a valid mode. */
static int mode_flags(const char *mode)
{
	int flags;
	switch (mode[0]) {
	case 'r':
		flags = O_RDONLY;
		break;
	case 'w':
		flags = O_WRONLY | O_CREAT | O_TRUNC;
		break;
	case 'a':
		flags = O_WRONLY | O_CREAT | O_APPEND;
		break;
	default:
		return -1;
	}
	for (int i = 1; i < 7 && mode[i]; i++) {
		switch (mode[i]) {
		case '+':
			flags = (flags & ~O_ACCMODE) | O_RDWR;
			break;
		case 'x':
			flags |= O_EXCL;
			break;
		case 'e':
			flags |= O_CLOEXEC;
			break;
		case ',':
			i = 7;
			break;
		default:
			break;
		}
	}
	return flags;
}

static FILE *cookie_stream(int fd, const char *mode)
{
	cookie_io_functions_t io = { cookie_read, cookie_write, cookie_seek,
				     cookie_close };
	FILE *f = fopencookie((void *)(intptr_t)fd, mode, io);
	if (f)
		f->_fileno =
			fd; /* fileno() gives the descriptor, as on a real file */
	return f;
}

static FILE *do_fopen(const char *path, const char *mode)
{
	if (watching() && path && mode) {
		struct mlcpl_lookup l = mlcpl_lookup_path(AT_FDCWD, path, 0);
		path = l.path;
		if (l.kind != MLCPL_PASS) {
			int flags = mode_flags(mode);
			if (flags < 0) {
				errno = EINVAL;
				return NULL;
			}
			int fd =
				(int)ret(mlcpl_open(AT_FDCWD, path, &l, flags));
			if (fd < 0)
				return NULL;
			FILE *f = cookie_stream(fd, mode);
			if (!f) {
				int err = errno;
				mlcpl_close(fd);
				errno = err;
			}
			return f;
		}
	}
	return rl()->fopen(path, mode);
}

EXPORT FILE *fopen(const char *path, const char *mode)
{
	return do_fopen(path, mode);
}

ALIAS(fopen64, fopen);

EXPORT FILE *fdopen(int fd, const char *mode)
{
	struct mlcpl_handle *h = mlcpl_served(fd);
	if (!h)
		return rl()->fdopen(fd, mode);
	int flags = mode ? mode_flags(mode) : -1;
	long fl = mlcpl_getfl(fd, h);
	if (flags < 0 || fl < 0) {
		errno = flags < 0 ? EINVAL : (int)-fl;
		return NULL;
	}
	/* glibc: the mode may not ask for an access the descriptor lacks. */
	int want = flags & O_ACCMODE, have = (int)fl & O_ACCMODE;
	if (have != O_RDWR && want != have) {
		errno = EINVAL;
		return NULL;
	}
	return cookie_stream(fd, mode);
}

/* --- the standard streams on a served descriptor --------------------------
 *
 * stdin, stdout and stderr are the only streams the C library makes by
 * itself, and it reads and writes them with its internal system calls,
 * which no preload reaches.  So while descriptor 0, 1 or 2 is served
 * (`echo start > /sys/.../control`, a shell's in-process redirection of a
 * builtin, `sort < /proc/mlcore_train`), the stream variable names a
 * stream of ours on that descriptor, which goes through the door; when the
 * descriptor stops being served the C library's own stream is put back. */

static FILE *g_std_orig[3]; /* the C library's stream, while replaced */
static FILE *g_std_ours[3]; /* ours, while descriptor N is served */
static int g_std_closing; /* set while we fclose() ours */

static FILE **std_var(int fd)
{
	return fd == 0 ? &stdin : fd == 1 ? &stdout : &stderr;
}

static ssize_t std_read(void *c, char *buf, size_t size)
{
	int fd = (int)(intptr_t)c;
	struct mlcpl_handle *h = mlcpl_served(fd);
	return h ? ret(mlcpl_read(h, buf, size)) : rl()->read(fd, buf, size);
}

static ssize_t std_write(void *c, const char *buf, size_t size)
{
	int fd = (int)(intptr_t)c;
	struct mlcpl_handle *h = mlcpl_served(fd);
	return h ? ret(mlcpl_write(h, buf, size)) : rl()->write(fd, buf, size);
}

static int std_seek(void *c, off64_t *pos, int whence)
{
	int fd = (int)(intptr_t)c;
	struct mlcpl_handle *h = mlcpl_served(fd);
	int64_t r = h ? mlcpl_lseek(h, *pos, whence) :
			rl()->lseek(fd, *pos, whence);
	if (r < 0)
		return h ? (int)ret(r) : -1;
	*pos = r;
	return 0;
}

/* fclose(stdout) by the program closes its descriptor, as on glibc's. */
static int std_close(void *c)
{
	if (g_std_closing)
		return 0;
	return close((int)(intptr_t)c);
}

/* After descriptor fd (0..2) changed: our stream while it is served. */
static void std_sync(int fd)
{
	if (fd < 0 || fd > 2 || mlcpl_borrowed_memory())
		return;
	int served = mlcpl_served(fd) != NULL;
	if (served && !g_std_ours[fd]) {
		cookie_io_functions_t io = { std_read, std_write, std_seek,
					     std_close };
		FILE *f = fopencookie((void *)(intptr_t)fd, fd == 0 ? "r" : "w",
				      io);
		if (!f)
			return;
		/* glibc's buffering for a stream on a file that is no tty. */
		setvbuf(f, NULL, fd == 2 ? _IONBF : _IOFBF, 0);
		f->_fileno = fd;
		g_std_orig[fd] = *std_var(fd);
		g_std_ours[fd] = f;
		*std_var(fd) = f;
	} else if (!served && g_std_ours[fd]) {
		FILE *f = g_std_ours[fd];
		if (*std_var(fd) == f)
			*std_var(fd) = g_std_orig[fd];
		g_std_ours[fd] = NULL;
		g_std_closing = 1;
		fclose(f); /* flushed already (std_before) */
		g_std_closing = 0;
	}
}

/* Before descriptor fd (0..2) changes: what our stream holds goes out. */
static void std_before(int fd)
{
	if (fd >= 0 && fd <= 2 && g_std_ours[fd] && !mlcpl_borrowed_memory())
		fflush(g_std_ours[fd]);
}

/* --- close ----------------------------------------------------------------- */

EXPORT int close(int fd)
{
	if (mlcpl_served(fd)) {
		std_before(fd);
		int r = (int)ret(mlcpl_close(fd));
		std_sync(fd);
		return r;
	}
	return rl()->close(fd);
}

EXPORT int close_range(unsigned int lo, unsigned int hi, int flags)
{
	if (!rl()->close_range) {
		errno = ENOSYS;
		return -1;
	}
	for (unsigned int fd = lo; fd <= 2 && fd <= hi; fd++)
		std_before((int)fd);
	int r = rl()->close_range(lo, hi, flags);
	if (r == 0 && !(flags & CLOSE_RANGE_CLOEXEC) && mlcpl_fd_high >= 0) {
		mlcpl_forget_range(lo, hi);
		for (unsigned int fd = lo; fd <= 2 && fd <= hi; fd++)
			std_sync((int)fd);
	}
	return r;
}

EXPORT void closefrom(int lo)
{
	for (int fd = lo < 0 ? 0 : lo; fd <= 2; fd++)
		std_before(fd);
	if (rl()->closefrom)
		rl()->closefrom(lo);
	if (lo >= 0 && mlcpl_fd_high >= 0) {
		mlcpl_forget_range((unsigned int)lo, UINT_MAX);
		for (int fd = lo; fd <= 2; fd++)
			std_sync(fd);
	}
}

/* --- data -------------------------------------------------------------------- */

EXPORT ssize_t read(int fd, void *buf, size_t count)
{
	SERVED_OR_REAL(fd, mlcpl_read(h, buf, count),
		       rl()->read(fd, buf, count));
}

EXPORT ssize_t write(int fd, const void *buf, size_t count)
{
	SERVED_OR_REAL(fd, mlcpl_write(h, buf, count),
		       rl()->write(fd, buf, count));
}

EXPORT ssize_t pread(int fd, void *buf, size_t count, off_t pos)
{
	SERVED_OR_REAL(fd, mlcpl_pread(h, buf, count, pos),
		       rl()->pread(fd, buf, count, pos));
}

EXPORT ssize_t pwrite(int fd, const void *buf, size_t count, off_t pos)
{
	SERVED_OR_REAL(fd, mlcpl_pwrite(h, buf, count, pos),
		       rl()->pwrite(fd, buf, count, pos));
}

EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
	SERVED_OR_REAL(fd, mlcpl_readv(h, iov, iovcnt, false, 0),
		       rl()->readv(fd, iov, iovcnt));
}

EXPORT ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	SERVED_OR_REAL(fd, mlcpl_writev(h, iov, iovcnt, false, 0),
		       rl()->writev(fd, iov, iovcnt));
}

EXPORT ssize_t preadv(int fd, const struct iovec *iov, int iovcnt, off_t pos)
{
	SERVED_OR_REAL(fd, mlcpl_readv(h, iov, iovcnt, true, pos),
		       rl()->preadv(fd, iov, iovcnt, pos));
}

EXPORT ssize_t pwritev(int fd, const struct iovec *iov, int iovcnt, off_t pos)
{
	SERVED_OR_REAL(fd, mlcpl_writev(h, iov, iovcnt, true, pos),
		       rl()->pwritev(fd, iov, iovcnt, pos));
}

/* preadv2/pwritev2: offset -1 means the file position. */
EXPORT ssize_t preadv2(int fd, const struct iovec *iov, int iovcnt, off_t pos,
		       int flags)
{
	SERVED_OR_REAL(fd, mlcpl_readv(h, iov, iovcnt, pos != -1, pos),
		       REAL_OR_ENOSYS(preadv2, fd, iov, iovcnt, pos, flags));
}

EXPORT ssize_t pwritev2(int fd, const struct iovec *iov, int iovcnt, off_t pos,
			int flags)
{
	SERVED_OR_REAL(fd, mlcpl_writev(h, iov, iovcnt, pos != -1, pos),
		       REAL_OR_ENOSYS(pwritev2, fd, iov, iovcnt, pos, flags));
}

EXPORT off_t lseek(int fd, off_t off, int whence)
{
	SERVED_OR_REAL(fd, mlcpl_lseek(h, off, whence),
		       rl()->lseek(fd, off, whence));
}

/* _FORTIFY_SOURCE's checked forms. */
EXPORT ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen)
{
	if (count > buflen)
		__chk_fail();
	return read(fd, buf, count);
}

EXPORT ssize_t __pread_chk(int fd, void *buf, size_t count, off_t pos,
			   size_t buflen)
{
	if (count > buflen)
		__chk_fail();
	return pread(fd, buf, count, pos);
}

ALIAS(pread64, pread);
ALIAS(pwrite64, pwrite);
ALIAS(preadv64, preadv);
ALIAS(pwritev64, pwritev);
ALIAS(preadv64v2, preadv2);
ALIAS(pwritev64v2, pwritev2);
ALIAS(lseek64, lseek);
ALIAS(__pread64_chk, __pread_chk);

/* sendfile from or to a served file: the door's read and write, in
 * chunks, as the kernel's splice would call them. */
static ssize_t copy_through(int out_fd, int in_fd, off_t *offset, size_t count)
{
	struct mlcpl_handle *in = mlcpl_served(in_fd);
	struct mlcpl_handle *out = mlcpl_served(out_fd);
	char buf[65536];
	size_t total = 0;
	off_t pos = 0;
	if (offset && mlcpl_copy(&pos, offset, sizeof(pos)))
		return ret(-EFAULT);
	while (total < count) {
		size_t want = count - total < sizeof(buf) ? count - total :
							    sizeof(buf);
		long n;
		if (in)
			n = offset ? mlcpl_pread(in, buf, want, pos) :
				     mlcpl_read(in, buf, want);
		else
			n = offset ? rl()->pread(in_fd, buf, want, pos) :
				     rl()->read(in_fd, buf, want);
		if (n < 0 && !in)
			n = -errno;
		if (n <= 0) {
			if (n < 0 && !total)
				return ret(n);
			break;
		}
		long w = out ? mlcpl_write(out, buf, (size_t)n) :
			       rl()->write(out_fd, buf, (size_t)n);
		if (w < 0 && !out)
			w = -errno;
		if (w < 0) {
			if (!total)
				return ret(w);
			break;
		}
		total += (size_t)w;
		pos += w;
		if (w < n || (size_t)n < want)
			break;
	}
	if (offset)
		mlcpl_copy(offset, &pos, sizeof(pos));
	return (ssize_t)total;
}

EXPORT ssize_t sendfile(int out_fd, int in_fd, off_t *offset, size_t count)
{
	if (mlcpl_served(in_fd) || mlcpl_served(out_fd))
		return copy_through(out_fd, in_fd, offset, count);
	return rl()->sendfile(out_fd, in_fd, offset, count);
}

ALIAS(sendfile64, sendfile);

/* copy_file_range and splice with a served file: the VFS model's answer
 * (EXDEV, EINVAL); callers then fall back to read and write. */
EXPORT ssize_t copy_file_range(int in_fd, off64_t *in_off, int out_fd,
			       off64_t *out_off, size_t len, unsigned int flags)
{
	struct mlcpl_handle *in = mlcpl_served(in_fd),
			    *out = mlcpl_served(out_fd);
	if (in || out)
		return ret(
			mlcpl_copy_file_range(in_fd, in, out_fd, out, flags));
	return REAL_OR_ENOSYS(copy_file_range, in_fd, in_off, out_fd, out_off,
			      len, flags);
}

EXPORT ssize_t splice(int in_fd, off64_t *in_off, int out_fd, off64_t *out_off,
		      size_t len, unsigned int flags)
{
	struct mlcpl_handle *in = mlcpl_served(in_fd),
			    *out = mlcpl_served(out_fd);
	if (in || out)
		return ret(mlcpl_splice(in, out));
	return rl()->splice(in_fd, in_off, out_fd, out_off, len, flags);
}

/* --- control --------------------------------------------------------------- */

EXPORT int ioctl(int fd, unsigned long cmd, ...)
{
	unsigned long arg = VA_ONE(cmd, unsigned long, 1);
	SERVED_OR_REAL(fd, mlcpl_ioctl(fd, h, cmd, arg),
		       rl()->ioctl(fd, cmd, arg));
}

static int do_fcntl(int fd, int cmd, unsigned long arg)
{
	struct mlcpl_handle *h = mlcpl_served(fd);
	if (!h)
		return rl()->fcntl(fd, cmd, arg);
	switch (cmd) {
	case F_GETFL:
		return (int)ret(mlcpl_getfl(fd, h));
	case F_DUPFD:
	case F_DUPFD_CLOEXEC: {
		int r = rl()->fcntl(fd, cmd, arg);
		if (r >= 0) {
			mlcpl_dup_done(fd, r);
			std_sync(r);
		}
		return r;
	}
	default:
		break;
	}
	/* Record locks: the door's (the placeholder's own lock bytes must
	 * not be touched). */
	if (mlcpl_is_lock_cmd(cmd))
		return (int)ret(mlcpl_lock(h, cmd, arg));
	return rl()->fcntl(fd, cmd, arg);
}

EXPORT int fcntl(int fd, int cmd, ...)
{
	return do_fcntl(fd, cmd, VA_ONE(cmd, unsigned long, 1));
}

ALIAS(fcntl64, fcntl);

EXPORT int flock(int fd, int op)
{
	SERVED_OR_REAL(fd, mlcpl_flock(h, op), rl()->flock(fd, op));
}

/* lockf(3): glibc's own is fcntl(F_SETLK...) made inside the C library, out
 * of the door's reach; on a served file the same record lock as fcntl's,
 * built as glibc builds it (F_WRLCK, SEEK_CUR, 0, len). */
EXPORT int lockf(int fd, int cmd, off_t len)
{
	struct mlcpl_handle *h = mlcpl_served(fd);
	struct flock fl = { .l_type = F_WRLCK,
			    .l_whence = SEEK_CUR,
			    .l_len = len };
	int fcmd;

	if (!h)
		return rl()->lockf(fd, cmd, len);
	switch (cmd) {
	case F_TEST:
		fl.l_type = F_RDLCK;
		if (ret(mlcpl_lock(h, F_GETLK, (unsigned long)&fl)) < 0)
			return -1;
		if (fl.l_type == F_UNLCK || fl.l_pid == getpid())
			return 0;
		errno = EACCES;
		return -1;
	case F_ULOCK:
		fl.l_type = F_UNLCK;
		fcmd = F_SETLK;
		break;
	case F_LOCK:
		fcmd = F_SETLKW;
		break;
	case F_TLOCK:
		fcmd = F_SETLK;
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	return (int)ret(mlcpl_lock(h, fcmd, (unsigned long)&fl));
}

ALIAS(lockf64, lockf);

EXPORT int dup(int fd)
{
	int r = rl()->dup(fd);
	if (r >= 0 && mlcpl_served(fd)) {
		mlcpl_dup_done(fd, r);
		std_sync(r);
	}
	return r;
}

EXPORT int dup2(int oldfd, int newfd)
{
	int watch = mlcpl_served(oldfd) || mlcpl_served(newfd);
	if (watch && oldfd != newfd)
		std_before(newfd);
	int r = rl()->dup2(oldfd, newfd);
	if (r >= 0 && watch) {
		mlcpl_dup_done(oldfd, newfd);
		std_sync(newfd);
	}
	return r;
}

EXPORT int dup3(int oldfd, int newfd, int flags)
{
	int watch = mlcpl_served(oldfd) || mlcpl_served(newfd);
	if (watch && oldfd != newfd)
		std_before(newfd);
	int r = rl()->dup3(oldfd, newfd, flags);
	if (r >= 0 && watch) {
		mlcpl_dup_done(oldfd, newfd);
		std_sync(newfd);
	}
	return r;
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off)
{
	struct mlcpl_handle *h = (flags & MAP_ANONYMOUS) ? NULL :
							   mlcpl_served(fd);
	if (h) {
		int type = flags & MAP_TYPE;
		long r = mlcpl_mmap(
			h, type == MAP_SHARED || type == MAP_SHARED_VALIDATE,
			(prot & PROT_WRITE) != 0, len);
		errno = r < 0 ? (int)-r : ENODEV; /* no served file maps */
		return MAP_FAILED;
	}
	return rl()->mmap(addr, len, prot, flags, fd, off);
}

ALIAS(mmap64, mmap);

/* --- poll and select: a served file answers at once with its mask ------- */

/* Fills the served entries' revents, hides them from the kernel (fd < 0 is
 * ignored there); returns how many are ready. */
static int poll_served(struct pollfd *fds, nfds_t n, int *saved, int *any)
{
	int ready = 0;
	*any = 0;
	for (nfds_t i = 0; i < n; i++) {
		struct mlcpl_handle *h = mlcpl_served(fds[i].fd);
		saved[i] = -1;
		if (!h)
			continue;
		*any = 1;
		unsigned int mask = mlcpl_poll(h);
		fds[i].revents = (short)(mask & ((unsigned short)fds[i].events |
						 POLLERR | POLLHUP | POLLNVAL));
		ready += fds[i].revents != 0;
		saved[i] = fds[i].fd;
		fds[i].fd = -1;
	}
	return ready;
}

/* Puts the served entries back, with the revents they got. */
static int poll_merge(struct pollfd *fds, nfds_t n, const int *saved,
		      const short *rev, int r, int ready)
{
	for (nfds_t i = 0; i < n; i++)
		if (saved[i] >= 0) {
			fds[i].fd = saved[i];
			fds[i].revents = rev[i];
		}
	return r < 0 ? r : r + ready;
}

static int served_in(const struct pollfd *fds, nfds_t n)
{
	if (mlcpl_fd_high < 0 || !fds || n > 4096)
		return 0;
	for (nfds_t i = 0; i < n; i++)
		if (mlcpl_served(fds[i].fd))
			return 1;
	return 0;
}

EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	if (!served_in(fds, n))
		return rl()->poll(fds, n, timeout);
	int saved[n], any;
	int ready = poll_served(fds, n, saved, &any);
	/* Served revents are kept aside: the kernel zeroes hidden entries. */
	short rev[n];
	for (nfds_t i = 0; i < n; i++)
		rev[i] = fds[i].revents;
	int r = rl()->poll(fds, n, ready ? 0 : timeout);
	return poll_merge(fds, n, saved, rev, r, ready);
}

EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		__chk_fail();
	return poll(fds, n, timeout);
}

EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *tmo,
		 const sigset_t *mask)
{
	if (!served_in(fds, n))
		return rl()->ppoll(fds, n, tmo, mask);
	int saved[n], any;
	int ready = poll_served(fds, n, saved, &any);
	short rev[n];
	for (nfds_t i = 0; i < n; i++)
		rev[i] = fds[i].revents;
	struct timespec zero = { 0, 0 };
	int r = rl()->ppoll(fds, n, ready ? &zero : tmo, mask);
	return poll_merge(fds, n, saved, rev, r, ready);
}

/* select: served descriptors are taken out of the sets, answered from
 * their mask, and put back when ready (the kernel's POLLIN_SET etc.). */
static int select_served(int nfds, fd_set *rd, fd_set *wr, fd_set *ex,
			 fd_set *srd, fd_set *swr, fd_set *sex)
{
	int ready = 0;
	FD_ZERO(srd);
	FD_ZERO(swr);
	FD_ZERO(sex);
	for (int fd = 0; fd < nfds && fd <= mlcpl_fd_high; fd++) {
		struct mlcpl_handle *h = mlcpl_served(fd);
		if (!h)
			continue;
		int want_r = rd && FD_ISSET(fd, rd),
		    want_w = wr && FD_ISSET(fd, wr);
		int want_x = ex && FD_ISSET(fd, ex);
		if (!want_r && !want_w && !want_x)
			continue;
		unsigned int m = mlcpl_poll(h);
		if (want_r) {
			FD_CLR(fd, rd);
			if (m & (POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP |
				 POLLERR))
				FD_SET(fd, srd), ready++;
		}
		if (want_w) {
			FD_CLR(fd, wr);
			if (m & (POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR))
				FD_SET(fd, swr), ready++;
		}
		if (want_x) {
			FD_CLR(fd, ex);
			if (m & POLLPRI)
				FD_SET(fd, sex), ready++;
		}
	}
	return ready;
}

static void select_merge(int nfds, fd_set *rd, fd_set *wr, fd_set *ex,
			 fd_set *srd, fd_set *swr, fd_set *sex)
{
	for (int fd = 0; fd < nfds && fd <= mlcpl_fd_high; fd++) {
		if (rd && FD_ISSET(fd, srd))
			FD_SET(fd, rd);
		if (wr && FD_ISSET(fd, swr))
			FD_SET(fd, wr);
		if (ex && FD_ISSET(fd, sex))
			FD_SET(fd, ex);
	}
}

static int select_has_served(int nfds, fd_set *rd, fd_set *wr, fd_set *ex)
{
	if (mlcpl_fd_high < 0)
		return 0;
	for (int fd = 0; fd < nfds && fd < FD_SETSIZE && fd <= mlcpl_fd_high;
	     fd++)
		if (mlcpl_served(fd) &&
		    ((rd && FD_ISSET(fd, rd)) || (wr && FD_ISSET(fd, wr)) ||
		     (ex && FD_ISSET(fd, ex))))
			return 1;
	return 0;
}

EXPORT int select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex,
		  struct timeval *tv)
{
	if (!select_has_served(nfds, rd, wr, ex))
		return rl()->select(nfds, rd, wr, ex, tv);
	fd_set srd, swr, sex;
	int ready = select_served(nfds, rd, wr, ex, &srd, &swr, &sex);
	struct timeval zero = { 0, 0 };
	int r = rl()->select(nfds, rd, wr, ex, ready ? &zero : tv);
	if (r < 0)
		return r;
	select_merge(nfds, rd, wr, ex, &srd, &swr, &sex);
	return r + ready;
}

EXPORT int pselect(int nfds, fd_set *rd, fd_set *wr, fd_set *ex,
		   const struct timespec *ts, const sigset_t *mask)
{
	if (!select_has_served(nfds, rd, wr, ex))
		return rl()->pselect(nfds, rd, wr, ex, ts, mask);
	fd_set srd, swr, sex;
	int ready = select_served(nfds, rd, wr, ex, &srd, &swr, &sex);
	struct timespec zero = { 0, 0 };
	int r = rl()->pselect(nfds, rd, wr, ex, ready ? &zero : ts, mask);
	if (r < 0)
		return r;
	select_merge(nfds, rd, wr, ex, &srd, &swr, &sex);
	return r + ready;
}

/* --- identity: stat, statx, access, readlink -------------------------------- */

/* A served node's stat into the program's buffer (EFAULT if bad). */
static int give_stat(const struct stat *st, struct stat *out)
{
	if (mlcpl_copy(out, st, sizeof(*st)))
		return (int)ret(-EFAULT);
	return 0;
}

/* 1 when handled (result in *r), 0 to pass through. */
static int how_of(int at_flags)
{
	return (at_flags & AT_SYMLINK_NOFOLLOW) ? MLCPL_NOFOLLOW : 0;
}

/* 1 when handled (result in *r), 0 to pass *path through. */
static int stat_served(int dirfd, const char **pathp, struct stat *out,
		       int flags, int how, int *r)
{
	const char *path = *pathp;
	struct stat st;
	if ((flags & AT_EMPTY_PATH) && empty_path(path)) {
		struct mlcpl_handle *h = mlcpl_served(dirfd);
		if (!h)
			return 0;
		mlcpl_stat_handle(h, &st);
		*r = give_stat(&st, out);
		return 1;
	}
	if (!watching())
		return 0;
	struct mlcpl_lookup l =
		mlcpl_lookup_path(dirfd, path, how_of(flags) | how);
	if (l.kind == MLCPL_PASS) {
		*pathp = l.path;
		return 0;
	}
	if (l.kind == MLCPL_ERROR) {
		*r = (int)ret(-l.err);
		return 1;
	}
	mlcpl_stat_node(l.ino, &st);
	*r = give_stat(&st, out);
	return 1;
}

/* stat/lstat/fstatat and their old names: the host first (a stat costs
 * one system call), the kernel's walk only when the host cannot find the
 * path or finds a placeholder (a symlink into a served tree). */
static int stat_path(int dirfd, const char *path, struct stat *out, int flags)
{
	const char *orig = path;
	int r;
	if (stat_served(dirfd, &path, out, flags, MLCPL_HOST_FIRST, &r))
		return r;
	r = rl()->fstatat(dirfd, path, out, flags);
	if (!watching() || path != orig || !path ||
	    ((flags & AT_EMPTY_PATH) && empty_path(path)))
		return r;
	if (r == 0 ? !mlcpl_is_placeholder(out) :
		     (errno != ENOENT && errno != ENOTDIR))
		return r;
	int err = r == 0 ? 0 : errno;
	errno = err;
	int again;
	if (stat_served(dirfd, &path, out, flags, MLCPL_HOST_FAILED, &again))
		return again;
	if (path != orig)
		return rl()->fstatat(dirfd, path, out, flags);
	errno = err;
	return r;
}

static int fstat_served(int fd, struct stat *out, int *r)
{
	struct mlcpl_handle *h = mlcpl_served(fd);
	if (!h)
		return 0;
	struct stat st;
	mlcpl_stat_handle(h, &st);
	*r = give_stat(&st, out);
	return 1;
}

EXPORT int stat(const char *path, struct stat *st)
{
	return stat_path(AT_FDCWD, path, st, 0);
}

EXPORT int stat64(const char *path, struct stat64 *st)
{
	return stat(path, (struct stat *)st);
}

EXPORT int lstat(const char *path, struct stat *st)
{
	return stat_path(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

EXPORT int lstat64(const char *path, struct stat64 *st)
{
	return lstat(path, (struct stat *)st);
}

EXPORT int fstat(int fd, struct stat *st)
{
	int r;
	if (fstat_served(fd, st, &r))
		return r;
	return rl()->fstat(fd, st);
}

EXPORT int fstat64(int fd, struct stat64 *st)
{
	return fstat(fd, (struct stat *)st);
}

EXPORT int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	return stat_path(dirfd, path, st, flags);
}

EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
	return fstatat(dirfd, path, (struct stat *)st, flags);
}

/* The pre-2.33 entry points, for programs linked against older glibc. */
EXPORT int __xstat(int ver, const char *path, struct stat *st)
{
	(void)ver;
	return stat_path(AT_FDCWD, path, st, 0);
}

EXPORT int __xstat64(int ver, const char *path, struct stat64 *st)
{
	return __xstat(ver, path, (struct stat *)st);
}

EXPORT int __lxstat(int ver, const char *path, struct stat *st)
{
	(void)ver;
	return stat_path(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

EXPORT int __lxstat64(int ver, const char *path, struct stat64 *st)
{
	return __lxstat(ver, path, (struct stat *)st);
}

EXPORT int __fxstat(int ver, int fd, struct stat *st)
{
	int r;
	if (fstat_served(fd, st, &r))
		return r;
	return rl()->__fxstat ? rl()->__fxstat(ver, fd, st) :
				rl()->fstat(fd, st);
}

EXPORT int __fxstat64(int ver, int fd, struct stat64 *st)
{
	return __fxstat(ver, fd, (struct stat *)st);
}

EXPORT int __fxstatat(int ver, int dirfd, const char *path, struct stat *st,
		      int flags)
{
	(void)ver;
	return stat_path(dirfd, path, st, flags);
}

EXPORT int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st,
			int flags)
{
	return __fxstatat(ver, dirfd, path, (struct stat *)st, flags);
}

EXPORT int statx(int dirfd, const char *path, int flags, unsigned int mask,
		 struct statx *stx)
{
	struct stat st;
	int r = 0, handled = 0;
	if ((flags & AT_EMPTY_PATH) && empty_path(path)) {
		struct mlcpl_handle *h = mlcpl_served(dirfd);
		if (h) {
			mlcpl_stat_handle(h, &st);
			handled = 1;
		}
	} else if (watching()) {
		struct mlcpl_lookup l = mlcpl_lookup_path(
			dirfd, path,
			(flags & AT_SYMLINK_NOFOLLOW) ? MLCPL_NOFOLLOW : 0);
		if (l.kind == MLCPL_ERROR)
			return (int)ret(-l.err);
		if (l.kind != MLCPL_PASS) {
			mlcpl_stat_node(l.ino, &st);
			handled = 1;
		}
		path = l.path;
	}
	if (handled) {
		struct statx out;
		mlcpl_stat_to_statx(&st, &out);
		if (mlcpl_copy(stx, &out, sizeof(out)))
			return (int)ret(-EFAULT);
		return r;
	}
	return REAL_OR_ENOSYS(statx, dirfd, path, flags, mask, stx);
}

static int access_served(int dirfd, const char **pathp, int mode, int flags,
			 int *r)
{
	const char *path = *pathp;
	if (!watching())
		return 0;
	if ((flags & AT_EMPTY_PATH) && empty_path(path))
		return 0;
	struct mlcpl_lookup l = mlcpl_lookup_path(
		dirfd, path,
		(flags & AT_SYMLINK_NOFOLLOW) ? MLCPL_NOFOLLOW : 0);
	if (l.kind == MLCPL_PASS) {
		*pathp = l.path;
		return 0;
	}
	*r = l.kind == MLCPL_ERROR ?
		     (int)ret(-l.err) :
		     (int)ret(mlcpl_access(l.ino, mode,
					   (flags & AT_EACCESS) != 0));
	return 1;
}

EXPORT int access(const char *path, int mode)
{
	int r;
	if (access_served(AT_FDCWD, &path, mode, 0, &r))
		return r;
	return rl()->access(path, mode);
}

EXPORT int faccessat(int dirfd, const char *path, int mode, int flags)
{
	int r;
	if (access_served(dirfd, &path, mode, flags, &r))
		return r;
	return rl()->faccessat(dirfd, path, mode, flags);
}

EXPORT int euidaccess(const char *path, int mode)
{
	int r;
	if (access_served(AT_FDCWD, &path, mode, AT_EACCESS, &r))
		return r;
	return rl()->euidaccess(path, mode);
}

ALIAS(eaccess, euidaccess);

/* readlink("/proc/self/fd/N") of a served descriptor: the path it was
 * opened with, as the kernel shows it.  A served node is no symlink. */
static int readlink_served(int dirfd, const char **pathp, char *buf,
			   size_t size, ssize_t *r)
{
	const char *path = *pathp;
	if (!watching() || !path)
		return 0;
	struct mlcpl_handle *h = mlcpl_fd_link(path);
	if (h) {
		const char *p = mlcpl_path_of(h);
		size_t n = strlen(p);
		if (n > size)
			n = size;
		*r = mlcpl_copy(buf, p, n) ? ret(-EFAULT) : (ssize_t)n;
		return 1;
	}
	struct mlcpl_lookup l = mlcpl_lookup_path(dirfd, path, MLCPL_NOFOLLOW);
	if (l.kind == MLCPL_PASS) {
		*pathp = l.path;
		return 0;
	}
	*r = ret(l.kind == MLCPL_ERROR ? -l.err : mlcpl_readlink_node(l.ino));
	return 1;
}

EXPORT ssize_t readlink(const char *path, char *buf, size_t size)
{
	ssize_t r;
	if (readlink_served(AT_FDCWD, &path, buf, size, &r))
		return r;
	return rl()->readlink(path, buf, size);
}

EXPORT ssize_t __readlink_chk(const char *path, char *buf, size_t size,
			      size_t buflen)
{
	if (size > buflen)
		__chk_fail();
	return readlink(path, buf, size);
}

EXPORT ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t size)
{
	ssize_t r;
	if (readlink_served(dirfd, &path, buf, size, &r))
		return r;
	return rl()->readlinkat(dirfd, path, buf, size);
}

/* --- extended attributes: a served node has none (the table keeps none) -- */

/* The door's answer for a served path (the VFS model's: ENODATA to get,
 * an empty list, EOPNOTSUPP to set or remove); 1 when it is not served. */
static long xattr_path(const char **pathp, int op, int how)
{
	const char *path = *pathp;
	if (!watching() || !path)
		return 1;
	struct mlcpl_lookup l = mlcpl_lookup_path(AT_FDCWD, path, how);
	if (l.kind == MLCPL_PASS) {
		*pathp = l.path;
		return 1;
	}
	if (l.kind == MLCPL_ERROR)
		return -l.err;
	return mlcpl_xattr(op);
}

static long xattr_fd(int fd, int op)
{
	if (!mlcpl_served(fd))
		return 1;
	return mlcpl_xattr(op);
}

#define XATTR_GET MLCPL_XATTR_GET
#define XATTR_LIST MLCPL_XATTR_LIST
#define XATTR_SET MLCPL_XATTR_SET

EXPORT ssize_t getxattr(const char *path, const char *name, void *v, size_t n)
{
	long r = xattr_path(&path, XATTR_GET, 0);
	return r != 1 ? ret(r) : rl()->getxattr(path, name, v, n);
}

EXPORT ssize_t lgetxattr(const char *path, const char *name, void *v, size_t n)
{
	long r = xattr_path(&path, XATTR_GET, MLCPL_NOFOLLOW);
	return r != 1 ? ret(r) : rl()->lgetxattr(path, name, v, n);
}

EXPORT ssize_t fgetxattr(int fd, const char *name, void *v, size_t n)
{
	long r = xattr_fd(fd, XATTR_GET);
	return r != 1 ? ret(r) : rl()->fgetxattr(fd, name, v, n);
}

EXPORT ssize_t listxattr(const char *path, char *list, size_t n)
{
	long r = xattr_path(&path, XATTR_LIST, 0);
	return r != 1 ? ret(r) : rl()->listxattr(path, list, n);
}

EXPORT ssize_t llistxattr(const char *path, char *list, size_t n)
{
	long r = xattr_path(&path, XATTR_LIST, MLCPL_NOFOLLOW);
	return r != 1 ? ret(r) : rl()->llistxattr(path, list, n);
}

EXPORT ssize_t flistxattr(int fd, char *list, size_t n)
{
	long r = xattr_fd(fd, XATTR_LIST);
	return r != 1 ? ret(r) : rl()->flistxattr(fd, list, n);
}

EXPORT int setxattr(const char *path, const char *name, const void *v, size_t n,
		    int flags)
{
	long r = xattr_path(&path, XATTR_SET, 0);
	return r != 1 ? (int)ret(r) : rl()->setxattr(path, name, v, n, flags);
}

EXPORT int lsetxattr(const char *path, const char *name, const void *v,
		     size_t n, int flags)
{
	long r = xattr_path(&path, XATTR_SET, MLCPL_NOFOLLOW);
	return r != 1 ? (int)ret(r) : rl()->lsetxattr(path, name, v, n, flags);
}

EXPORT int fsetxattr(int fd, const char *name, const void *v, size_t n,
		     int flags)
{
	long r = xattr_fd(fd, XATTR_SET);
	return r != 1 ? (int)ret(r) : rl()->fsetxattr(fd, name, v, n, flags);
}

EXPORT int removexattr(const char *path, const char *name)
{
	long r = xattr_path(&path, XATTR_SET, 0);
	return r != 1 ? (int)ret(r) : rl()->removexattr(path, name);
}

EXPORT int lremovexattr(const char *path, const char *name)
{
	long r = xattr_path(&path, XATTR_SET, MLCPL_NOFOLLOW);
	return r != 1 ? (int)ret(r) : rl()->lremovexattr(path, name);
}

EXPORT int fremovexattr(int fd, const char *name)
{
	long r = xattr_fd(fd, XATTR_SET);
	return r != 1 ? (int)ret(r) : rl()->fremovexattr(fd, name);
}

/* --- directories the host lacks ---------------------------------------------- */

EXPORT DIR *opendir(const char *path)
{
	if (watching()) {
		struct mlcpl_lookup l = mlcpl_lookup_path(AT_FDCWD, path, 0);
		if (l.kind == MLCPL_ERROR) {
			errno = l.err;
			return NULL;
		}
		path = l.path;
		/* A served file: the open's O_DIRECTORY check (ENOTDIR). */
		if (l.kind == MLCPL_FILE || l.kind == MLCPL_DIR) {
			int fd = (int)ret(
				mlcpl_open(AT_FDCWD, path, &l,
					   O_RDONLY | O_DIRECTORY | O_CLOEXEC));
			if (fd < 0)
				return NULL;
			return (DIR *)mlcpl_vdir_from_fd(fd, mlcpl_served(fd));
		}
		if (l.ino) { /* /dev, /proc: the host's, plus what it lacks */
			DIR *d = rl()->opendir(path);
			mlcpl_merge_open(d, l.ino);
			return d;
		}
	}
	return rl()->opendir(path);
}

EXPORT DIR *fdopendir(int fd)
{
	struct mlcpl_handle *h = mlcpl_served(fd);
	if (h) {
		if (!mlcpl_is_dir(h)) {
			errno = ENOTDIR;
			return NULL;
		}
		return (DIR *)mlcpl_vdir_from_fd(fd, h);
	}
	return rl()->fdopendir(fd);
}

EXPORT struct dirent *readdir(DIR *d)
{
	if (mlcpl_is_vdir(d))
		return mlcpl_vdir_read((struct mlcpl_vdir *)d);
	struct dirent *e = rl()->readdir(d);
	if (!e && mlcpl_merging(d))
		return mlcpl_merge_next(d);
	return e;
}

EXPORT struct dirent64 *readdir64(DIR *d)
{
	if (mlcpl_is_vdir(d))
		return mlcpl_vdir_read64((struct mlcpl_vdir *)d);
	struct dirent64 *e = rl()->readdir64(d);
	if (!e && mlcpl_merging(d))
		return mlcpl_merge_next64(d);
	return e;
}

EXPORT void rewinddir(DIR *d)
{
	if (mlcpl_is_vdir(d)) {
		mlcpl_vdir_rewind((struct mlcpl_vdir *)d);
		return;
	}
	mlcpl_merge_rewind(d);
	rl()->rewinddir(d);
}

EXPORT int dirfd(DIR *d)
{
	if (mlcpl_is_vdir(d))
		return mlcpl_vdir_fd((struct mlcpl_vdir *)d);
	return rl()->dirfd(d);
}

EXPORT int closedir(DIR *d)
{
	if (mlcpl_is_vdir(d))
		return mlcpl_vdir_close((struct mlcpl_vdir *)d);
	mlcpl_merge_close(d);
	return rl()->closedir(d);
}

/* --- signals: the copy guard stays first for SIGSEGV and SIGBUS ------------- */

EXPORT int sigaction(int sig, const struct sigaction *act,
		     struct sigaction *old)
{
	if (sig > 0 && sig < NSIG && mlcpl_guards_signal(sig))
		return mlcpl_guarded_sigaction(sig, act, old);
	return rl()->sigaction(sig, act, old);
}

EXPORT sighandler_t signal(int sig, sighandler_t handler)
{
	if (sig > 0 && sig < NSIG && mlcpl_guards_signal(sig)) {
		struct sigaction act, old;
		memset(&act, 0, sizeof(act));
		act.sa_handler = handler;
		act.sa_flags = SA_RESTART;
		mlcpl_guarded_sigaction(sig, &act, &old);
		return old.sa_handler;
	}
	return rl()->signal(sig, handler);
}

/* --- children: they are served too ---------------------------------------- */

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	return rl()->execve(path, argv, mlcpl_child_env(envp));
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	return rl()->execvpe(file, argv, mlcpl_child_env(envp));
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	return rl()->fexecve(fd, argv, mlcpl_child_env(envp));
}

EXPORT int posix_spawn(pid_t *pid, const char *path,
		       const posix_spawn_file_actions_t *fa,
		       const posix_spawnattr_t *attr, char *const argv[],
		       char *const envp[])
{
	return rl()->posix_spawn(pid, path, fa, attr, argv,
				 mlcpl_child_env(envp));
}

EXPORT int posix_spawnp(pid_t *pid, const char *file,
			const posix_spawn_file_actions_t *fa,
			const posix_spawnattr_t *attr, char *const argv[],
			char *const envp[])
{
	return rl()->posix_spawnp(pid, file, fa, attr, argv,
				  mlcpl_child_env(envp));
}

/* Each definition above has the prototype libc_functions.def gives its
 * name, which is the C library's. */
#define MLCPL_LIBC(ret, name, params, need)                           \
	_Static_assert(__builtin_types_compatible_p(__typeof__(name), \
						    ret params),      \
		       #name "'s prototype differs from libc_functions.def");
#include "preload/libc_functions.def"
#undef MLCPL_LIBC
