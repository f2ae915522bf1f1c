// SPDX-License-Identifier: GPL-2.0
//
// Listing a host directory the table also has (/dev, /proc, /sys/class):
// once the host's entries are read, readdir gives the table's entries the
// host lacks (/dev/mlcore in `ls /dev`).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "preload/door.hpp"
#include "preload/real.hpp"

namespace mlc::preload {

namespace {

struct Merge : DirentSlots {
	std::vector<std::pair<std::string, const Node *>> extras;
	size_t next = 0;
};

std::unordered_map<const void *, Merge *> &merges()
{
	static auto *m = new std::unordered_map<const void *, Merge *>;
	return *m;
}
std::atomic<int> g_merge_count{ 0 };

Merge *merge_of(const void *dir)
{
	if (g_merge_count.load(std::memory_order_relaxed) == 0)
		return nullptr;
	std::lock_guard<std::mutex> lock(mu());
	auto it = merges().find(dir);
	return it == merges().end() ? nullptr : it->second;
}

// The next extra entry, or null.
const std::pair<std::string, const Node *> *merge_step(const void *dir)
{
	Merge *m = merge_of(dir);
	if (!m || m->next >= m->extras.size())
		return nullptr;
	return &m->extras[m->next++];
}

} // namespace

bool merging(const void *dir)
{
	return merge_of(dir) != nullptr;
}

void merge_open(const void *dir, uint64_t ino)
{
	if (!dir)
		return;
	auto *m = new Merge;
	for (FileTable::Ino child : table().children(ino)) {
		const Node *n = table().node(child);
		struct stat st;
		std::string path = "/" + n->path();
		if (real().fstatat(AT_FDCWD, path.c_str(), &st,
				   AT_SYMLINK_NOFOLLOW) != 0)
			m->extras.emplace_back(std::string(n->name()), n);
	}
	if (m->extras.empty()) {
		delete m;
		return;
	}
	std::lock_guard<std::mutex> lock(mu());
	merges()[dir] = m;
	g_merge_count++;
}

struct dirent *merge_next(const void *dir)
{
	auto *e = merge_step(dir);
	if (!e)
		return nullptr;
	Merge *m = merge_of(dir);
	std::memset(&m->de, 0, sizeof(m->de));
	m->de.d_ino = kInoBase + table().resolve(e->second->path()).value_or(0);
	m->de.d_off = static_cast<off_t>(0x7fff0000 + m->next);
	m->de.d_reclen = sizeof(m->de);
	m->de.d_type = dirent_type(e->second);
	snprintf(m->de.d_name, sizeof(m->de.d_name), "%s", e->first.c_str());
	return &m->de;
}

struct dirent64 *merge_next64(const void *dir)
{
	struct dirent *e = merge_next(dir);
	if (!e)
		return nullptr;
	Merge *m = merge_of(dir);
	std::memset(&m->de64, 0, sizeof(m->de64));
	m->de64.d_ino = e->d_ino;
	m->de64.d_off = e->d_off;
	m->de64.d_reclen = sizeof(m->de64);
	m->de64.d_type = e->d_type;
	snprintf(m->de64.d_name, sizeof(m->de64.d_name), "%s", e->d_name);
	return &m->de64;
}

void merge_rewind(const void *dir)
{
	if (Merge *m = merge_of(dir))
		m->next = 0;
}

void merge_close(const void *dir)
{
	if (g_merge_count.load(std::memory_order_relaxed) == 0)
		return;
	std::lock_guard<std::mutex> lock(mu());
	auto it = merges().find(dir);
	if (it == merges().end())
		return;
	delete it->second;
	merges().erase(it);
	g_merge_count--;
}

} // namespace mlc::preload
