// SPDX-License-Identifier: GPL-2.0
//
// A process-shared, robust mutex that can live in shared memory: a process
// killed while holding it cannot wedge the others.  The next locker is told
// the owner died (EOWNERDEAD), marks the mutex consistent and goes on; the
// core's operations are short and leave the device state valid between any
// two stores that matter, so the state is kept as it is.
//
// A process stopped while holding it (SIGSTOP, Ctrl-Z) is not dead: the
// lock stays held until it continues.  The holder's pid is kept next to
// the mutex, so a locker that has waited about a second and finds that pid
// stopped (state T or t in /proc/PID/stat) says so once on stderr, then
// keeps waiting.  Readers of proc and sysfs texts never take the lock
// (device_state.hpp).
#pragma once

#include <pthread.h>
#include <sys/types.h>

#include <atomic>
#include <string>

namespace mlc {

struct RobustMutex {
	pthread_mutex_t m;
	std::atomic<pid_t> owner;	// the holder's pid; 0 when free

	// Once, by whoever creates the memory it lives in.
	void init();
	// nullptr when the mutex read back from a segment is one init() made
	// and is free or held by a thread that exists; else what is wrong (a
	// damaged word would make the first locker wait forever).
	const char *check() const;
	// Returns true when the previous owner died holding it.  `what` names
	// the lock in the line about a stopped owner ("instance 'NAME'").
	bool lock(const char *what = "a lock");
	void unlock()
	{
		owner.store(0, std::memory_order_relaxed);
		pthread_mutex_unlock(&m);
	}

private:
	int wait(const char *what);
};

class RobustLock {
public:
	explicit RobustLock(RobustMutex &mu, const char *what = "a lock") : mu_(mu)
	{
		recovered_ = mu_.lock(what);
	}
	~RobustLock() { mu_.unlock(); }
	RobustLock(const RobustLock &) = delete;
	RobustLock &operator=(const RobustLock &) = delete;
	bool recovered() const { return recovered_; }

private:
	RobustMutex &mu_;
	bool recovered_ = false;
};

// "mlcore-emu: WHAT is locked by pid N, which is stopped; waiting (kill
// -CONT N resumes it)\n": the line a waiting locker prints.
std::string stopped_owner_line(const char *what, pid_t pid);
// Whether /proc/PID/stat says the process is stopped (T) or traced (t).
bool process_stopped(pid_t pid);

}  // namespace mlc
