// SPDX-License-Identifier: GPL-2.0
//
// The calling process's memory as the kernel's copy_{from,to}_user see it:
// a bad pointer gives a short copy (so EFAULT from the core), never a
// crash.  The first page and addresses beyond user space fault at once;
// anything else is copied under a fault guard: a SIGSEGV/SIGBUS handler
// that, while a copy is in flight on this thread, jumps back into the copy,
// which then finds byte by byte how much was accessible (the kernel's
// partial copy at a page edge).  No system call on the way: a guarded copy
// costs a sigsetjmp without a signal mask.
//
// The handler is installed at the first served operation and stays first:
// sigaction()/signal() for SIGSEGV and SIGBUS are interposed, so the
// program's own handler is recorded and called for every fault that is not
// ours (and the default action is taken when it has none).
#pragma once

#include <signal.h>

#include "platform/user/host.hpp"

namespace mlc::preload {

class SafeMemory final : public UserMemory {
public:
	size_t copy_from(void *dst, mlc_uptr src, size_t len) override;
	size_t copy_to(mlc_uptr dst, const void *src, size_t len) override;
};

// Copies len bytes; returns how many could NOT be copied (0 on success).
size_t guarded_copy(void *dst, const void *src, size_t len);

// Installs the fault handler (idempotent, thread-safe).
void install_fault_guard();

// sigaction(2) as the program sees it while the guard is installed: for
// SIGSEGV and SIGBUS it records and reports the program's action instead
// of replacing ours.  Returns -1 (errno set) like sigaction.
int guarded_sigaction(int sig, const struct sigaction *act,
		      struct sigaction *old);
bool guards_signal(int sig);

} // namespace mlc::preload
