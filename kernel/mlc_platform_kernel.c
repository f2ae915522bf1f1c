// SPDX-License-Identifier: GPL-2.0
/*
 * The platform seam (src/core/mlc_platform.h) for the kernel: every service
 * maps onto the kernel function the original driver called.  The kernel
 * needs no host context; the core passes NULL and it is ignored here.
 *
 * Compiled into each module that contains core code (the symbols are not
 * exported, so every module has its own copy).
 */
#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/fs.h>
#include <linux/err.h>
#include <linux/uaccess.h>
#include <linux/random.h>
#include <linux/timekeeping.h>

#include "../src/core/mlc_platform.h"
#include "../include/uapi/mlcore.h"

void mlc_clock_realtime(struct mlc_host *host, struct mlc_timespec *ts)
{
	struct timespec64 now;

	ktime_get_real_ts64(&now);
	ts->tv_sec = now.tv_sec;
	ts->tv_nsec = now.tv_nsec;
}

/*
 * The level travels as a KERN_SOH prefix in the formatted text; printk
 * parses it from there (vprintk_store() formats first, then reads the
 * prefix), exactly as printk(KERN_INFO "...") would.
 */
void mlc_printk(struct mlc_host *host, int level, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	printk("%c%c%pV", KERN_SOH_ASCII, '0' + level, &vaf);
	va_end(args);
}

/* The driver's log_to_file(): open, write at pos 0 (O_APPEND wins), close. */
int mlc_logfile_append(struct mlc_host *host, const char *text, size_t len)
{
	struct file *filp;
	ssize_t written;
	loff_t pos = 0;

	filp = filp_open(MLCORE_LOG_FILE_PATH, O_WRONLY | O_CREAT | O_APPEND,
			 0644);
	if (IS_ERR(filp))
		return MLC_LOGFILE_OPEN_FAILED;
	written = kernel_write(filp, text, len, &pos);
	filp_close(filp, NULL);
	return written < 0 ? MLC_LOGFILE_WRITE_FAILED : MLC_LOGFILE_OK;
}

void mlc_get_random_bytes(struct mlc_host *host, void *buf, size_t len)
{
	get_random_bytes(buf, len);
}

size_t mlc_copy_from_user(struct mlc_host *host, void *dst, mlc_uptr src,
			  size_t len)
{
	return copy_from_user(dst, (const void __user *)src, len);
}

size_t mlc_copy_to_user(struct mlc_host *host, mlc_uptr dst, const void *src,
			size_t len)
{
	return copy_to_user((void __user *)dst, src, len);
}

int mlc_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list args;
	int n;

	va_start(args, fmt);
	n = vsnprintf(buf, size, fmt, args);
	va_end(args);
	return n;
}
