// SPDX-License-Identifier: GPL-2.0
//
// Listing a served directory the host lacks (/sys/class/ml_lib_test):
// opendir/fdopendir give a stream of the door's over the table's entries,
// readdir/rewinddir/dirfd/closedir read it.
#include <dirent.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

extern "C" {
#include "core/vfs_model.h"
}
#include "preload/door.hpp"
#include "preload/real.hpp"

struct mlcpl_vdir : mlc::preload::DirentSlots {
	uint64_t magic;
	int fd; // a served directory descriptor (dirfd())
	std::vector<std::pair<std::string, const mlc::Node *>> entries;
	size_t next = 0;
	long err = 0; // every read's answer when not 0 (-errno)
};

namespace mlc::preload {

namespace {

constexpr uint64_t kVDirMagic = 0x524944564c4d4c43ULL;
std::unordered_set<const void *> &vdirs()
{
	static auto *v = new std::unordered_set<const void *>;
	return *v;
}

std::atomic<int> g_vdir_count{ 0 };

VDir *make_vdir(int fd, uint64_t ino)
{
	auto *d = new VDir;
	d->magic = kVDirMagic;
	d->fd = fd;
	const Node *self = table().node(ino);
	d->entries.emplace_back(".", self);
	d->entries.emplace_back("..", table().node(table().parent(ino)));
	for (FileTable::Ino child : table().children(ino))
		d->entries.emplace_back(
			std::string(table().node(child)->name()),
			table().node(child));
	std::lock_guard<std::mutex> lock(mu());
	vdirs().insert(d);
	g_vdir_count++;
	return d;
}

} // namespace

unsigned char dirent_type(const Node *n)
{
	switch (n->type()) {
	case NodeType::Directory:
		return DT_DIR;
	case NodeType::CharDevice:
		return DT_CHR;
	default:
		return DT_REG;
	}
}

VDir *vdir_from_fd(int fd, Handle *h)
{
	VDir *d = make_vdir(fd, h->ino);
	// O_PATH: fdopendir() succeeds, getdents64() is EBADF (fdget).
	if (!mlc_vfs_fd_has_file(h->rec->open_flags))
		d->err = mlc_vfs_path_fd_op();
	return d;
}

bool is_vdir(const void *dir)
{
	if (!dir || g_vdir_count.load(std::memory_order_relaxed) == 0)
		return false;
	std::lock_guard<std::mutex> lock(mu());
	return vdirs().count(dir) != 0;
}

struct dirent *vdir_read(VDir *d)
{
	if (d->err) {
		errno = static_cast<int>(-d->err);
		return nullptr;
	}
	if (d->next >= d->entries.size())
		return nullptr;
	const auto &[name, node] = d->entries[d->next];
	std::memset(&d->de, 0, sizeof(d->de));
	d->de.d_ino = kInoBase +
		      (node ? table().resolve(node->path()).value_or(0) : 0);
	d->de.d_off = static_cast<off_t>(++d->next);
	d->de.d_reclen = sizeof(d->de);
	d->de.d_type = node ? dirent_type(node) :
			      static_cast<unsigned char>(DT_DIR);
	snprintf(d->de.d_name, sizeof(d->de.d_name), "%s", name.c_str());
	return &d->de;
}

struct dirent64 *vdir_read64(VDir *d)
{
	struct dirent *e = vdir_read(d);
	if (!e)
		return nullptr;
	std::memset(&d->de64, 0, sizeof(d->de64));
	d->de64.d_ino = e->d_ino;
	d->de64.d_off = e->d_off;
	d->de64.d_reclen = sizeof(d->de64);
	d->de64.d_type = e->d_type;
	snprintf(d->de64.d_name, sizeof(d->de64.d_name), "%s", e->d_name);
	return &d->de64;
}

void vdir_rewind(VDir *d)
{
	d->next = 0;
}

int vdir_close(VDir *d)
{
	{
		std::lock_guard<std::mutex> lock(mu());
		vdirs().erase(d);
		g_vdir_count--;
	}
	long r = served(d->fd) ? close_fd(d->fd) : real().close(d->fd);
	delete d;
	if (r < 0) {
		errno = static_cast<int>(-r);
		return -1;
	}
	return 0;
}

int vdir_fd(VDir *d)
{
	return d->fd;
}

} // namespace mlc::preload
