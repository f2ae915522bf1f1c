// SPDX-License-Identifier: GPL-2.0
#include "emulator/robust_mutex.hpp"

#include <cerrno>
#include <cstdlib>

namespace mlc {

void RobustMutex::init()
{
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&m, &attr);
	pthread_mutexattr_destroy(&attr);
}

bool RobustMutex::lock()
{
	int err = pthread_mutex_lock(&m);
	if (err == EOWNERDEAD) {
		pthread_mutex_consistent(&m);
		return true;
	}
	if (err != 0)
		std::abort();	// ENOTRECOVERABLE cannot happen: we always recover
	return false;
}

}  // namespace mlc
