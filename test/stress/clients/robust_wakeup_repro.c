// SPDX-License-Identifier: GPL-2.0
//
// The platform alone, no emulator: a process-shared robust pthread mutex
// (as RobustMutex in src/emulator/robust_mutex.cc), one long-lived process
// locking and unlocking it in a loop, short-lived children doing the same,
// killed with SIGKILL at random moments.  On Debian 12 (glibc 2.36, kernel
// 6.18) the long-lived process sleeps forever after some hundreds of kills:
// the lock word is 0x40000000 (FUTEX_OWNER_DIED, no owner, no
// FUTEX_WAITERS) while it waits in futex_wait.  A woken waiter killed before
// it sets FUTEX_WAITERS again takes the wake-up with it (and a new owner
// that never waited stores its tid without FUTEX_WAITERS), so nobody wakes
// the waiters left.  This is what wedges the stress tests
// stress_kill_clients and stress_kill_server (docs/reliability.md).
// Not a test: a reproducer for whoever fixes the instance lock.
//
//   build/test/stress/robust_wakeup_repro   (exit 1 + one line when stuck)
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <errno.h>

struct shared { pthread_mutex_t m; volatile unsigned long count; };

static void lock(struct shared *s)
{
	if (pthread_mutex_lock(&s->m) == EOWNERDEAD)
		pthread_mutex_consistent(&s->m);
}

static void loop(struct shared *s, int count)
{
	for (;;) {
		lock(s);
		if (count)
			s->count++;
		for (volatile int i = 0; i < 200; i++)
			;
		pthread_mutex_unlock(&s->m);
	}
}

int main(void)
{
	struct shared *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&s->m, &a);
	pid_t l = fork();
	if (l == 0)
		loop(s, 1);
	srand(getpid());
	for (int kills = 0; kills < 100000; ) {
		pid_t c[4];
		for (int i = 0; i < 4; i++)
			if ((c[i] = fork()) == 0)
				loop(s, 0);
		usleep(1000 + rand() % 5000);
		for (int i = 0; i < 4; i++) {
			kill(c[i], SIGKILL);
			waitpid(c[i], NULL, 0);
			kills++;
		}
		unsigned long before = s->count;
		usleep(300000);
		if (s->count == before) {
			printf("after %d kills the long-lived waiter is stuck: lock word 0x%x, owner %d\n",
			       kills, s->m.__data.__lock, s->m.__data.__owner);
			kill(l, SIGKILL);
			return 1;
		}
		if (kills % 2000 == 0)
			printf("%d kills, waiter ok\n", kills), fflush(stdout);
	}
	kill(l, SIGKILL);
	return 0;
}
