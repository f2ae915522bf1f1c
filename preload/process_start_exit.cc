// SPDX-License-Identifier: GPL-2.0
//
// Process start and exit: the door's tables made before main(), the
// descriptions inherited through exec served again (and those that died
// released), and at exit every served descriptor closed, as the kernel
// closes them.
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "emulator/path_walk.hpp"
#include "preload/door.hpp"
#include "preload/real.hpp"

namespace mlc::preload {

namespace {

std::once_flag g_init_once;

// Descriptors inherited through exec that are placeholders of the current
// instance's registry: served again, on the same descriptions.
void discover(InstanceCtx *c)
{
	int dfd = real().open("/proc/self/fd",
			      O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	std::vector<int> fds;
	if (dfd >= 0) {
		DIR *d = real().fdopendir(dfd);
		if (d) {
			while (struct dirent *e = real().readdir(d))
				if (all_digits(e->d_name))
					fds.push_back(atoi(e->d_name));
			real().closedir(d);
		} else {
			real().close(dfd);
		}
	} else {
		for (int fd = 0; fd < 1024; fd++)
			fds.push_back(fd);
	}
	for (int fd : fds) {
		if (fd == dfd || static_cast<size_t>(fd) >= mlcpl_fd_cap)
			continue;
		struct stat st;
		if (real().fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
		    !c->reg->is_placeholder(st.st_dev, st.st_ino))
			continue;
		off_t pos = real().lseek(fd, 0, SEEK_CUR);
		uint32_t slot;
		uint64_t gen;
		if (!Registry::decode(pos, &slot, &gen) || gen == 0)
			continue;
		SlotRecord &r = c->reg->slot(slot);
		if (r.state != kSlotLive || ((r.gen ^ gen) & ((1u << 24) - 1)))
			continue;
		Handle *h = c->handles[slot] ? c->handles[slot] :
					       new_handle(c, slot);
		if (h)
			set_fd(fd, h);
	}
}

} // namespace

void door_init()
{
	std::call_once(g_init_once, [] {
		InDoor in;
		(void)real();
		struct rlimit rl {};
		size_t cap = 4096;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		    rl.rlim_max != RLIM_INFINITY)
			cap = std::max<size_t>(cap, rl.rlim_max);
		cap = std::min(cap, kMaxFds);
		void *mem = mmap(nullptr, cap * sizeof(Handle *),
				 PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				 -1, 0);
		if (mem == MAP_FAILED)
			return;
		mlcpl_fds = static_cast<Handle **>(mem);
		mlcpl_fd_cap = cap;
		load_table_names();
		snapshot_env();
		(void)mu();
		g_pid = getpid();
		pthread_atfork([] { mu().lock(); }, [] { mu().unlock(); },
			       [] {
				       g_pid = getpid();
				       mu().unlock();
			       });

		// A process started by exec inside an instance: take back the
		// descriptions it inherited, release those that died with it.
		if (!getenv(kInstanceEnv))
			return;
		std::lock_guard<std::mutex> lock(mu());
		InstanceCtx *c = ctx_named(instance_name(), false);
		if (!c)
			return;
		discover(c);
		if (__atomic_load_n(&mlcpl_fd_high, __ATOMIC_RELAXED) >= 0)
			install_fault_guard();
		for (uint32_t slot : c->reg->claim_all_gone())
			release_slot(c, slot, c->handles[slot]);
	});
}

void door_exit()
{
	int high = __atomic_load_n(&mlcpl_fd_high, __ATOMIC_RELAXED);
	if (!mlcpl_fds || high < 0)
		return;
	// Streams on served descriptors flush now, while they still work.
	fflush(nullptr);
	for (int fd = 0; fd <= high; fd++)
		if (served(fd))
			close_fd(fd);
}

} // namespace mlc::preload
