// SPDX-License-Identifier: GPL-2.0
#include "preload/safe_memory.hpp"

#include <setjmp.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "preload/real.hpp"

namespace mlc::preload {

namespace {

// Nothing below this is ever mapped for a user (mmap_min_addr), and
// nothing at or above TASK_SIZE (x86_64, 4-level paging) is user memory.
constexpr mlc_uptr kFirstMappable = 4096;
constexpr mlc_uptr kTaskSize = 0x00007ffffffff000ULL;

// The recovery point of the copy in flight on this thread, if any.
__thread sigjmp_buf *t_recover __attribute__((tls_model("initial-exec")));

std::atomic<bool> g_installed{ false };
std::mutex g_install_mu;
// The program's own actions for the signals we guard (index by signal).
struct sigaction g_program[_NSIG];

bool accessible_range(mlc_uptr addr, size_t len)
{
	if (addr < kFirstMappable || addr >= kTaskSize)
		return false;
	return len <= kTaskSize - addr;
}

// The program's action for a fault that is not ours.
void chain(int sig, siginfo_t *info, void *ctx)
{
	const struct sigaction &a = g_program[sig];
	if (a.sa_flags & SA_SIGINFO) {
		if (a.sa_sigaction) {
			a.sa_sigaction(sig, info, ctx);
			return;
		}
	} else if (a.sa_handler != SIG_DFL && a.sa_handler != SIG_IGN) {
		a.sa_handler(sig);
		return;
	}
	// The default action: restore it and let the signal happen again.  A
	// fault re-executes the instruction on return; a sent signal is sent
	// again.
	struct sigaction dfl {};
	dfl.sa_handler = SIG_DFL;
	real().sigaction(sig, &dfl, nullptr);
	if (info->si_code <= 0)
		raise(sig);
}

void on_fault(int sig, siginfo_t *info, void *ctx)
{
	if (sigjmp_buf *jb = t_recover) {
		t_recover = nullptr;
		siglongjmp(*jb, 1);
	}
	chain(sig, info, ctx);
}

// Byte by byte after a fault, to copy exactly the accessible prefix.
// Returns the bytes not copied.
__attribute__((noinline)) size_t copy_prefix(void *dst, const void *src,
					     size_t len)
{
	volatile size_t done = 0;
	sigjmp_buf jb;
	if (sigsetjmp(jb, 0)) {
		t_recover = nullptr;
		return len - done;
	}
	t_recover = &jb;
	asm volatile("" ::: "memory"); // armed before the first access
	auto *d = static_cast<volatile unsigned char *>(dst);
	auto *s = static_cast<const volatile unsigned char *>(src);
	while (done < len) {
		d[done] = s[done];
		done = done + 1;
	}
	asm volatile("" ::: "memory");
	t_recover = nullptr;
	return 0;
}

} // namespace

__attribute__((noinline)) size_t guarded_copy(void *dst, const void *src,
					      size_t len)
{
	if (!g_installed.load(std::memory_order_acquire)) [[unlikely]]
		install_fault_guard();
	sigjmp_buf jb;
	if (sigsetjmp(jb, 0)) {
		t_recover = nullptr;
		return copy_prefix(dst, src, len);
	}
	t_recover = &jb;
	asm volatile("" ::: "memory"); // armed before the copy
	std::memcpy(dst, src, len);
	asm volatile("" ::: "memory"); // disarmed after it
	t_recover = nullptr;
	return 0;
}

size_t SafeMemory::copy_from(void *dst, mlc_uptr src, size_t len)
{
	size_t left = len;
	if (accessible_range(src, len))
		left = guarded_copy(dst, reinterpret_cast<const void *>(src),
				    len);
	if (left) // the kernel zero-fills what it could not copy
		std::memset(static_cast<char *>(dst) + (len - left), 0, left);
	return left;
}

size_t SafeMemory::copy_to(mlc_uptr dst, const void *src, size_t len)
{
	if (!accessible_range(dst, len))
		return len;
	return guarded_copy(reinterpret_cast<void *>(dst), src, len);
}

bool guards_signal(int sig)
{
	return (sig == SIGSEGV || sig == SIGBUS) &&
	       g_installed.load(std::memory_order_acquire);
}

void install_fault_guard()
{
	if (g_installed.load(std::memory_order_acquire))
		return;
	std::lock_guard<std::mutex> lock(g_install_mu);
	if (g_installed.load(std::memory_order_relaxed))
		return;
	struct sigaction ours {};
	ours.sa_sigaction = on_fault;
	// SA_NODEFER: the signal stays unblocked after the jump back.
	ours.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&ours.sa_mask);
	for (int sig : { SIGSEGV, SIGBUS })
		real().sigaction(sig, &ours, &g_program[sig]);
	g_installed.store(true, std::memory_order_release);
}

// Async-signal-safe like sigaction itself: no lock (a racing pair of
// sigaction calls for one signal is the program's race either way).
int guarded_sigaction(int sig, const struct sigaction *act,
		      struct sigaction *old)
{
	if (old)
		*old = g_program[sig];
	if (act)
		g_program[sig] = *act;
	return 0;
}

} // namespace mlc::preload
