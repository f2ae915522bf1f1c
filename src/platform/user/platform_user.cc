// SPDX-License-Identifier: GPL-2.0
//
// Bodies of the platform seam for user space (the kernel build has its own
// in kernel/).  Each forwards to the service in the operation's mlc_host.
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "platform/user/host.hpp"

namespace {

// The kernel's printk line limit (PRINTK_MESSAGE_MAX is 1024 in 6.1).
constexpr size_t kPrintkMax = 1024;

}  // namespace

extern "C" {

void mlc_clock_realtime(struct mlc_host *host, struct mlc_timespec *ts)
{
	if (host && host->clock)
		*ts = host->clock->realtime();
	else
		*ts = mlc_timespec{0, 0};
}

void mlc_printk(struct mlc_host *host, int level, const char *fmt, ...)
{
	if (!host || !host->klog)
		return;

	char line[kPrintkMax];
	va_list ap;
	va_start(ap, fmt);
	int n = std::vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;

	size_t len = static_cast<size_t>(n) < sizeof(line)
			     ? static_cast<size_t>(n)
			     : sizeof(line) - 1;
	// The log record keeps the text without its newline, as printk does.
	if (len && line[len - 1] == '\n')
		len--;
	host->klog->printk(level, std::string_view(line, len));
}

int mlc_logfile_append(struct mlc_host *host, const char *text, size_t len)
{
	if (!host || !host->logfile)
		return MLC_LOGFILE_OPEN_FAILED;
	return host->logfile->append(std::string_view(text, len));
}

void mlc_get_random_bytes(struct mlc_host *host, void *buf, size_t len)
{
	if (host && host->random)
		host->random->fill(buf, len);
	else
		std::memset(buf, 0, len);
}

size_t mlc_copy_from_user(struct mlc_host *host, void *dst, mlc_uptr src,
			  size_t len)
{
	if (!host || !host->user) {
		std::memset(dst, 0, len);
		return len;
	}
	return host->user->copy_from(dst, src, len);
}

size_t mlc_copy_to_user(struct mlc_host *host, mlc_uptr dst, const void *src,
			size_t len)
{
	if (!host || !host->user)
		return len;
	return host->user->copy_to(dst, src, len);
}

int mlc_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = std::vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

}  // extern "C"
