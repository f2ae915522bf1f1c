// SPDX-License-Identifier: GPL-2.0
/*
 * libmlcore-trace.so: the recorder of `mlcore-emu trace record`
 * (docs/closed-loop.md, "Recording").  Loaded with LD_PRELOAD into the
 * command and, through fork and exec, into every child of it; it
 * interposes the C library's read entry points and, after each call that
 * returned bytes from a regular file, appends one struct mlcore_trace_event
 * to $MLCORE_TRACE_EVENTS.  It changes nothing a call returns, nor errno.
 *
 * Files are identified by fstat() of the descriptor at the time of the
 * read, so open, openat and close need no interposing (and fopen's own
 * internal open is covered).  mmap is not recorded: a mapping is not an
 * access, and the page faults that are cannot be seen from here.
 *
 * Separate from the preload door (preload/): it serves nothing, it only
 * watches.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "trace_event.h"

/* <stdio.h> may define these as macros when optimising. */
#undef fread
#undef fread_unlocked

#define EXPORT __attribute__((visibility("default")))

/* The events file: kept on a high descriptor, checked before each use
 * (the program may have closed it, or reused the number). */
#define EVENTS_FD_MIN	977

static int events_fd = -1;
static dev_t events_dev;
static ino_t events_ino;
static char events_path[4096];

static void events_open(void)
{
	struct stat st;
	int fd, hi;

	if (!events_path[0])
		return;
	fd = (int)syscall(SYS_openat, AT_FDCWD, events_path,
			  O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0);
	if (fd < 0)
		return;
	hi = fcntl(fd, F_DUPFD_CLOEXEC, EVENTS_FD_MIN);
	if (hi >= 0) {
		syscall(SYS_close, fd);
		fd = hi;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		syscall(SYS_close, fd);
		return;
	}
	events_dev = st.st_dev;
	events_ino = st.st_ino;
	events_fd = fd;
}

__attribute__((constructor)) static void recorder_init(void)
{
	const char *p = getenv(MLCORE_TRACE_EVENTS_ENV);

	if (!p || !*p || strlen(p) >= sizeof(events_path))
		return;
	memcpy(events_path, p, strlen(p) + 1);
	events_open();
}

static void events_append(const struct mlcore_trace_event *ev)
{
	struct stat st;

	if (!events_path[0])
		return;
	if (events_fd < 0 || fstat(events_fd, &st) != 0 ||
	    st.st_dev != events_dev || st.st_ino != events_ino) {
		events_fd = -1;	/* closed or reused by the program: not ours */
		events_open();
		if (events_fd < 0)
			return;
	}
	/* One write of 48 bytes to an O_APPEND file: never interleaved. */
	(void)!syscall(SYS_write, events_fd, ev, sizeof(*ev));
}

/* Files whose bytes are made up on reading (proc, sysfs, ...): regular
 * files to fstat, but no file pages. */
static int pseudo_fs(int fd)
{
	static const unsigned long magic[] = {
		0x9fa0,		/* PROC_SUPER_MAGIC */
		0x62656572,	/* SYSFS_MAGIC */
		0x64626720,	/* DEBUGFS_MAGIC */
		0x74726163,	/* TRACEFS_MAGIC */
		0x63677270,	/* CGROUP2_SUPER_MAGIC */
		0x27e0eb,	/* CGROUP_SUPER_MAGIC */
		0x73636673,	/* SECURITYFS_MAGIC */
		0xcafe4a11,	/* BPF_FS_MAGIC */
	};
	struct statfs sf;
	size_t i;

	if (fstatfs(fd, &sf) != 0)
		return 1;
	for (i = 0; i < sizeof(magic) / sizeof(magic[0]); i++)
		if ((unsigned long)sf.f_type == magic[i])
			return 1;
	return 0;
}

/* After a call that returned n > 0 bytes at off (-1: the position now
 * minus n) from fd. */
static void note(int kind, int fd, long long off, long long n)
{
	struct mlcore_trace_event ev;
	struct stat st;
	int saved = errno;

	if (n <= 0 || fd < 0 || fd == events_fd || !events_path[0])
		goto out;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || pseudo_fs(fd))
		goto out;
	if (off < 0) {
		off_t pos = lseek(fd, 0, SEEK_CUR);

		if (pos < n)
			goto out;
		off = (long long)pos - n;
	}
	memset(&ev, 0, sizeof(ev));
	ev.pid = (uint32_t)getpid();
	ev.kind = (uint32_t)kind;
	ev.dev = (uint64_t)st.st_dev;
	ev.ino = (uint64_t)st.st_ino;
	ev.size = (uint64_t)st.st_size;
	ev.off = (uint64_t)off;
	ev.len = (uint64_t)n;
	events_append(&ev);
out:
	errno = saved;
}

/* fread: the bytes it returned, at the stream's position before them. */
static void note_stream(FILE *fp, size_t bytes)
{
	int saved = errno;
	off_t pos;

	if (bytes) {
		pos = ftello(fp);
		if (pos >= (off_t)bytes)
			note(MLCORE_TRACE_FREAD, fileno(fp), (long long)pos - (long long)bytes,
			     (long long)bytes);
	}
	errno = saved;
}

#define REAL(ret, name, ...)						\
	static ret (*real_##name)(__VA_ARGS__);				\
	if (!real_##name)						\
		real_##name = (ret (*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name); \
	if (!real_##name) {						\
		errno = ENOSYS;						\
		return -1;						\
	}

EXPORT ssize_t read(int fd, void *buf, size_t count)
{
	REAL(ssize_t, read, int, void *, size_t);
	ssize_t n = real_read(fd, buf, count);
	note(MLCORE_TRACE_READ, fd, -1, n);
	return n;
}

EXPORT ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen)
{
	REAL(ssize_t, __read_chk, int, void *, size_t, size_t);
	ssize_t n = real___read_chk(fd, buf, count, buflen);
	note(MLCORE_TRACE_READ, fd, -1, n);
	return n;
}

EXPORT ssize_t pread(int fd, void *buf, size_t count, off_t off)
{
	REAL(ssize_t, pread, int, void *, size_t, off_t);
	ssize_t n = real_pread(fd, buf, count, off);
	note(MLCORE_TRACE_PREAD, fd, off, n);
	return n;
}

EXPORT ssize_t pread64(int fd, void *buf, size_t count, off_t off)
{
	REAL(ssize_t, pread64, int, void *, size_t, off_t);
	ssize_t n = real_pread64(fd, buf, count, off);
	note(MLCORE_TRACE_PREAD, fd, off, n);
	return n;
}

EXPORT ssize_t __pread_chk(int fd, void *buf, size_t count, off_t off,
			   size_t buflen)
{
	REAL(ssize_t, __pread_chk, int, void *, size_t, off_t, size_t);
	ssize_t n = real___pread_chk(fd, buf, count, off, buflen);
	note(MLCORE_TRACE_PREAD, fd, off, n);
	return n;
}

EXPORT ssize_t __pread64_chk(int fd, void *buf, size_t count, off_t off,
			     size_t buflen)
{
	REAL(ssize_t, __pread64_chk, int, void *, size_t, off_t, size_t);
	ssize_t n = real___pread64_chk(fd, buf, count, off, buflen);
	note(MLCORE_TRACE_PREAD, fd, off, n);
	return n;
}

EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
	REAL(ssize_t, readv, int, const struct iovec *, int);
	ssize_t n = real_readv(fd, iov, iovcnt);
	note(MLCORE_TRACE_READV, fd, -1, n);
	return n;
}

EXPORT ssize_t preadv(int fd, const struct iovec *iov, int iovcnt, off_t off)
{
	REAL(ssize_t, preadv, int, const struct iovec *, int, off_t);
	ssize_t n = real_preadv(fd, iov, iovcnt, off);
	note(MLCORE_TRACE_PREADV, fd, off, n);
	return n;
}

EXPORT ssize_t preadv64(int fd, const struct iovec *iov, int iovcnt, off_t off)
{
	REAL(ssize_t, preadv64, int, const struct iovec *, int, off_t);
	ssize_t n = real_preadv64(fd, iov, iovcnt, off);
	note(MLCORE_TRACE_PREADV, fd, off, n);
	return n;
}

/* preadv2 with off -1 reads at (and advances) the file position. */
EXPORT ssize_t preadv2(int fd, const struct iovec *iov, int iovcnt, off_t off,
		       int flags)
{
	REAL(ssize_t, preadv2, int, const struct iovec *, int, off_t, int);
	ssize_t n = real_preadv2(fd, iov, iovcnt, off, flags);
	note(MLCORE_TRACE_PREADV, fd, off, n);
	return n;
}

EXPORT ssize_t preadv64v2(int fd, const struct iovec *iov, int iovcnt,
			  off_t off, int flags)
{
	REAL(ssize_t, preadv64v2, int, const struct iovec *, int, off_t, int);
	ssize_t n = real_preadv64v2(fd, iov, iovcnt, off, flags);
	note(MLCORE_TRACE_PREADV, fd, off, n);
	return n;
}

#define REAL_STREAM(name, ...)						\
	static size_t (*real_##name)(__VA_ARGS__);			\
	if (!real_##name)						\
		real_##name = (size_t (*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name); \
	if (!real_##name)						\
		return 0;

EXPORT size_t fread(void *ptr, size_t size, size_t n, FILE *fp)
{
	REAL_STREAM(fread, void *, size_t, size_t, FILE *);
	size_t got = real_fread(ptr, size, n, fp);
	note_stream(fp, got * size);
	return got;
}

EXPORT size_t fread_unlocked(void *ptr, size_t size, size_t n, FILE *fp)
{
	REAL_STREAM(fread_unlocked, void *, size_t, size_t, FILE *);
	size_t got = real_fread_unlocked(ptr, size, n, fp);
	note_stream(fp, got * size);
	return got;
}

EXPORT size_t __fread_chk(void *ptr, size_t ptrlen, size_t size, size_t n,
			  FILE *fp)
{
	REAL_STREAM(__fread_chk, void *, size_t, size_t, size_t, FILE *);
	size_t got = real___fread_chk(ptr, ptrlen, size, n, fp);
	note_stream(fp, got * size);
	return got;
}

EXPORT size_t __fread_unlocked_chk(void *ptr, size_t ptrlen, size_t size,
				   size_t n, FILE *fp)
{
	REAL_STREAM(__fread_unlocked_chk, void *, size_t, size_t, size_t, FILE *);
	size_t got = real___fread_unlocked_chk(ptr, ptrlen, size, n, fp);
	note_stream(fp, got * size);
	return got;
}
