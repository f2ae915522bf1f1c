/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The platform seam: the only door between the core and the world.
 *
 * The core (src/core/) includes this header and its own headers, nothing
 * else.  Like OpenZFS's zfs_context.h, this header maps a small set of
 * services onto the kernel's functions in a Kbuild build (__KERNEL__) and
 * onto the user-space platform (src/platform/user/) otherwise:
 *
 *   - the realtime clock                 (ktime_get_real_ts64)
 *   - a kernel-log line with a level     (printk)
 *   - appending a line to the log file   (filp_open + kernel_write)
 *   - random bytes                       (get_random_bytes)
 *   - copies from and to the caller      (copy_from_user / copy_to_user)
 *   - formatting into a buffer           (snprintf)
 *
 * Every service takes the device's host handle (struct mlc_host), opaque to
 * the core: user space keeps one per emulated instance (its clock, kernel
 * log ring, log file and the caller's memory), the kernel needs none.
 *
 * Both builds declare exactly the same functions; only their bodies differ.
 */
#ifndef MLC_PLATFORM_H
#define MLC_PLATFORM_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/stdarg.h>
#include <linux/limits.h>
#include <linux/poll.h>
#else
/* Freestanding headers only: the core never links against libc directly. */
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdarg.h>
#include <limits.h>
#include <linux/errno.h>	/* the kernel's own numbers, no libc */
#include <linux/poll.h>		/* POLLIN etc., as the kernel spells them */
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque per-device context of the platform (NULL is fine in the kernel). */
struct mlc_host;

/* An address in the calling process, as an ioctl's arg carries it. */
typedef unsigned long mlc_uptr;

struct mlc_timespec {
	int64_t tv_sec;
	int64_t tv_nsec;
};

/* printk levels, with the kernel's numbers. */
#define MLC_KERN_ERR		3
#define MLC_KERN_WARNING	4
#define MLC_KERN_INFO		6

/* Results of appending to the log file. */
#define MLC_LOGFILE_OK			0
#define MLC_LOGFILE_OPEN_FAILED		1
#define MLC_LOGFILE_WRITE_FAILED	2

#if defined(__GNUC__)
#define mlc_printf_like(fmt_idx, arg_idx) \
	__attribute__((format(printf, fmt_idx, arg_idx)))
#else
#define mlc_printf_like(fmt_idx, arg_idx)
#endif

/* CLOCK_REALTIME now. */
void mlc_clock_realtime(struct mlc_host *host, struct mlc_timespec *ts);

/* One kernel-log line; fmt ends with "\n" as a printk format does. */
void mlc_printk(struct mlc_host *host, int level, const char *fmt, ...)
	mlc_printf_like(3, 4);

/* Append text to the device's log file (O_WRONLY|O_CREAT|O_APPEND, 0644). */
int mlc_logfile_append(struct mlc_host *host, const char *text, size_t len);

void mlc_get_random_bytes(struct mlc_host *host, void *buf, size_t len);

/*
 * Copy between the caller's memory and the core.  Both return the number of
 * bytes NOT copied, as the kernel's functions do.  A short copy from the
 * caller zero-fills the rest of dst (the kernel's contract).
 */
size_t mlc_copy_from_user(struct mlc_host *host, void *dst, mlc_uptr src,
			  size_t len);
size_t mlc_copy_to_user(struct mlc_host *host, mlc_uptr dst, const void *src,
			size_t len);

int mlc_snprintf(char *buf, size_t size, const char *fmt, ...)
	mlc_printf_like(3, 4);

#define mlc_memcpy(d, s, n)	__builtin_memcpy((d), (s), (n))
#define mlc_memset(d, c, n)	__builtin_memset((d), (c), (n))
#define mlc_strlen(s)		__builtin_strlen(s)
#define MLC_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#ifdef __cplusplus
}
#endif

#endif /* MLC_PLATFORM_H */
