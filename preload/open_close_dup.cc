// SPDX-License-Identifier: GPL-2.0
//
// A served descriptor's life: open(2) of a served node makes its
// placeholder, registry slot and handle; close, dup and close_range keep
// the descriptor array in step with the kernel's descriptors.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

extern "C" {
#include "core/vfs_model.h"
}
#include "preload/directory_and_path_files.hpp"
#include "preload/door.hpp"
#include "preload/real.hpp"

namespace mlc::preload {

int open_at(const mlcpl_lookup &l, int flags)
{
	if (l.kind == MLCPL_ERROR)
		return -l.err;
	const Node *node = table().node(l.ino);
	if (!node)
		return -ENOENT;
	if (!(flags & O_PATH))
		if (int err = mlc_vfs_open_existing_check(flags, node->mode()))
			return err;
	// A directory or O_PATH: an object of its own, no driver open.
	std::unique_ptr<OpenFile> file = open_fileless(*node, flags);
	bool path_only = file != nullptr;

	// Its canonical path, as readlink(/proc/self/fd/N) shows it (d_path).
	std::string abs = "/" + node->path();
	if (borrowed_memory()) // a vfork child must not change our tables
		return -ENOSYS;
	InDoor in;
	std::lock_guard<std::mutex> lock(mu());
	InstanceCtx *c = nullptr;
	if (int err = current_ctx(&c))
		return err;
	int slot = c->reg->allocate();
	if (slot < 0)
		return slot;
	int fd = c->reg->open_placeholder(static_cast<uint32_t>(slot), flags);
	if (fd >= 0 && static_cast<size_t>(fd) >= mlcpl_fd_cap) {
		real().close(fd);
		fd = -EMFILE;
	}
	if (fd < 0) {
		c->reg->free_slot(static_cast<uint32_t>(slot));
		return fd;
	}
	SlotRecord &r = c->reg->slot(static_cast<uint32_t>(slot));
	r.open_flags = flags;
	r.uid = geteuid();
	r.gid = getegid();
	r.kind = path_only ? kKindPath : kKindFile;
	r.pos = 0;
	snprintf(r.node_path, sizeof(r.node_path), "%s", node->path().c_str());
	snprintf(r.real_path, sizeof(r.real_path), "%s", abs.c_str());

	if (!path_only) {
		int err = 0;
		file = node->open(*c->inst, flags, Cred{ r.uid, r.gid }, &err);
		if (!file) {
			real().close(fd);
			c->reg->free_slot(static_cast<uint32_t>(slot));
			return err ? err : -ENXIO;
		}
	}
	Handle *h = new_handle(c, static_cast<uint32_t>(slot),
			       path_only ? std::move(file) : nullptr);
	if (file) {
		size_t n = file->state_size();
		h->has_state = n > 0 && n <= kStateMax;
		h->file = std::move(file);
		h->ready = true;
		if (h->has_state) {
			h->file->save_state(r.bytes);
			r.state_version = 1;
			h->loaded_version = 1;
		}
	}
	c->reg->publish(static_cast<uint32_t>(slot));
	install_fault_guard();
	set_fd(fd, h);
	return fd;
}

long close_fd(int fd)
{
	if (borrowed_memory())
		return real().close(fd) < 0 ? -errno : 0;
	std::lock_guard<std::mutex> lock(mu());
	Handle *h =
		__atomic_exchange_n(&mlcpl_fds[fd], nullptr, __ATOMIC_ACQ_REL);
	int r = real().close(fd);
	int err = r < 0 ? errno : 0;
	if (h)
		drop_ref(h);
	return err ? -err : 0;
}

void dup_done(int oldfd, int newfd)
{
	if (newfd < 0 || oldfd == newfd ||
	    static_cast<size_t>(newfd) >= mlcpl_fd_cap || borrowed_memory())
		return;
	std::lock_guard<std::mutex> lock(mu());
	set_fd(newfd, served(oldfd));
}

void forget_range(unsigned lo, unsigned hi)
{
	int high = __atomic_load_n(&mlcpl_fd_high, __ATOMIC_RELAXED);
	if (high < 0 || borrowed_memory())
		return;
	std::lock_guard<std::mutex> lock(mu());
	for (unsigned fd = lo; fd <= hi && fd <= static_cast<unsigned>(high);
	     fd++)
		if (served(static_cast<int>(fd)))
			set_fd(static_cast<int>(fd), nullptr);
}

} // namespace mlc::preload
