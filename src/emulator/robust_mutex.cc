// SPDX-License-Identifier: GPL-2.0
#include "emulator/robust_mutex.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <signal.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace mlc {

namespace {

// How long a locker waits before it looks at the owner, and between looks.
constexpr long kLookEveryNs = 1000000000L;

// This process's pid without a syscall per lock: getpid() is one since
// glibc 2.25.  A forked child starts with 0 and asks once.
std::atomic<pid_t> g_pid{0};

void forget_pid() { g_pid.store(0, std::memory_order_relaxed); }

[[maybe_unused]] const int g_atfork = pthread_atfork(nullptr, nullptr, forget_pid);

pid_t self_pid()
{
	pid_t pid = g_pid.load(std::memory_order_relaxed);
	if (pid == 0) {
		pid = static_cast<pid_t>(syscall(SYS_getpid));
		g_pid.store(pid, std::memory_order_relaxed);
	}
	return pid;
}

// Raw system calls only from here on: inside the preload door, open, read
// and write are the door's own (preload/interpose.c), which may be holding
// the door's locks while it waits for this one.
void say(const std::string &line)
{
	size_t done = 0;
	while (done < line.size()) {
		long n = syscall(SYS_write, 2, line.data() + done, line.size() - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		done += static_cast<size_t>(n);
	}
}

}  // namespace

std::string stopped_owner_line(const char *what, pid_t pid)
{
	std::string p = std::to_string(pid);
	return "mlcore-emu: " + std::string(what) + " is locked by pid " + p +
	       ", which is stopped; waiting (kill -CONT " + p + " resumes it)\n";
}

bool process_stopped(pid_t pid)
{
	std::string path = "/proc/" + std::to_string(pid) + "/stat";
	int fd = static_cast<int>(syscall(SYS_openat, AT_FDCWD, path.c_str(),
					  O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
	if (fd < 0)
		return false;
	char buf[512];
	long n = syscall(SYS_read, fd, buf, sizeof(buf) - 1);
	syscall(SYS_close, fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	// "PID (COMM) S ...": COMM may hold ')' and blanks; the state follows
	// the last ')'.
	const char *paren = std::strrchr(buf, ')');
	if (!paren || paren[1] != ' ')
		return false;
	return paren[2] == 'T' || paren[2] == 't';
}

void RobustMutex::init()
{
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&m, &attr);
	pthread_mutexattr_destroy(&attr);
	owner.store(0, std::memory_order_relaxed);
}

const char *RobustMutex::check() const
{
	RobustMutex fresh;
	fresh.init();
	const auto &got = m.__data, &want = fresh.m.__data;
	const char *bad = nullptr;
	if (got.__kind != want.__kind)
		bad = "lock.kind";
	// The futex word: 0 free, else the owner's tid with the waiters and
	// owner-died bits, which the kernel keeps only for a thread that lives.
	pid_t tid = static_cast<pid_t>(static_cast<unsigned>(got.__lock) & 0x3fffffffu);
	if (!bad && tid != 0 && kill(tid, 0) != 0 && errno == ESRCH)
		bad = "lock.owner";
	pthread_mutex_destroy(&fresh.m);
	return bad;
}

bool RobustMutex::lock(const char *what)
{
	// The fast path is one try, as cheap as pthread_mutex_lock().
	int err = pthread_mutex_trylock(&m);
	if (err == EBUSY)
		err = wait(what);
	owner.store(self_pid(), std::memory_order_relaxed);
	if (err == EOWNERDEAD) {
		pthread_mutex_consistent(&m);
		return true;
	}
	if (err != 0)
		std::abort();	// ENOTRECOVERABLE cannot happen: we always recover
	return false;
}

// Timed waits of about a second; after each, a look at the owner.  The line
// is said once per wait and owner (a wait that outlives one stopped owner
// and meets another says so again).
int RobustMutex::wait(const char *what)
{
	pid_t told = 0;
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	for (;;) {
		deadline.tv_nsec += kLookEveryNs;
		while (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_nsec -= 1000000000L;
			deadline.tv_sec++;
		}
		int err = pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &deadline);
		if (err != ETIMEDOUT)
			return err;
		pid_t pid = owner.load(std::memory_order_relaxed);
		// Read twice around the look: a lock that changed hands
		// meanwhile is not blamed on the process that let it go.
		if (pid > 0 && pid != told && process_stopped(pid) &&
		    owner.load(std::memory_order_relaxed) == pid) {
			say(stopped_owner_line(what, pid));
			told = pid;
		}
	}
}

}  // namespace mlc
