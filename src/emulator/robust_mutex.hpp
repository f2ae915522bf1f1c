// SPDX-License-Identifier: GPL-2.0
//
// A process-shared, robust mutex that can live in shared memory: a process
// killed while holding it cannot wedge the others.  The next locker is told
// the owner died (EOWNERDEAD), marks the mutex consistent and goes on; the
// core's operations are short and leave the device state valid between any
// two stores that matter, so the state is kept as it is.
#pragma once

#include <pthread.h>

namespace mlc {

struct RobustMutex {
	pthread_mutex_t m;

	// Once, by whoever creates the memory it lives in.
	void init();
	// Returns true when the previous owner died holding it.
	bool lock();
	void unlock() { pthread_mutex_unlock(&m); }
};

class RobustLock {
public:
	explicit RobustLock(RobustMutex &mu) : mu_(mu) { recovered_ = mu_.lock(); }
	~RobustLock() { mu_.unlock(); }
	RobustLock(const RobustLock &) = delete;
	RobustLock &operator=(const RobustLock &) = delete;
	bool recovered() const { return recovered_; }

private:
	RobustMutex &mu_;
	bool recovered_ = false;
};

}  // namespace mlc
