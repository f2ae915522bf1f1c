// SPDX-License-Identifier: GPL-2.0
//
// The identity of a served node: stat and statx (the table's type, mode,
// device number and size, the real top directory's st_dev), access(2).
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstring>
#include <vector>

extern "C" {
#include "core/vfs_model.h"
}
#include "preload/door.hpp"
#include "preload/real.hpp"

namespace mlc::preload {

namespace {

// The real top-level directory of a served node (/dev, /proc, /sys): its
// filesystem's device and block size are the served node's.
struct TopAttr {
	dev_t dev = 0;
	blksize_t blksize = 4096;
};

TopAttr top_attr(const Node *n)
{
	static std::mutex mu;
	static std::vector<std::pair<std::string, TopAttr>> *cache =
		new std::vector<std::pair<std::string, TopAttr>>;
	std::string top = n->path().substr(0, n->path().find('/'));
	std::lock_guard<std::mutex> lock(mu);
	for (auto &[name, attr] : *cache)
		if (name == top)
			return attr;
	TopAttr attr;
	struct stat st;
	if (real().stat(("/" + top).c_str(), &st) == 0) {
		attr.dev = st.st_dev;
		attr.blksize = st.st_blksize;
	}
	cache->emplace_back(top, attr);
	return attr;
}

} // namespace

void stat_node(uint64_t ino, struct stat *st)
{
	const Node *n = table().node(ino);
	std::memset(st, 0, sizeof(*st));
	TopAttr top = top_attr(n);
	st->st_dev = top.dev;
	st->st_ino = kInoBase + ino;
	st->st_mode = n->mode();
	st->st_nlink = n->type() == NodeType::Directory ? 2 : 1;
	st->st_uid = 0;
	st->st_gid = 0;
	st->st_rdev = n->rdev();
	st->st_size = n->size();
	st->st_blksize = top.blksize;
	st->st_blocks = 0;
	int64_t t = 0;
	{
		InDoor in;
		std::lock_guard<std::mutex> lock(mu());
		InstanceCtx *c = nullptr;
		if (current_ctx(&c) == 0)
			t = c->inst->header().created_realtime_sec;
	}
	st->st_atim.tv_sec = st->st_mtim.tv_sec = st->st_ctim.tv_sec = t;
}

void stat_handle(Handle *h, struct stat *st)
{
	stat_node(h->ino, st);
	if (h->ctx->inst)
		st->st_atim.tv_sec = st->st_mtim.tv_sec = st->st_ctim.tv_sec =
			h->ctx->inst->header().created_realtime_sec;
}

void stat_to_statx(const struct stat &st, struct statx *stx)
{
	std::memset(stx, 0, sizeof(*stx));
	stx->stx_mask = STATX_BASIC_STATS;
	stx->stx_blksize = static_cast<uint32_t>(st.st_blksize);
	stx->stx_nlink = static_cast<uint32_t>(st.st_nlink);
	stx->stx_uid = st.st_uid;
	stx->stx_gid = st.st_gid;
	stx->stx_mode = static_cast<uint16_t>(st.st_mode);
	stx->stx_ino = st.st_ino;
	stx->stx_size = static_cast<uint64_t>(st.st_size);
	stx->stx_blocks = static_cast<uint64_t>(st.st_blocks);
	stx->stx_atime.tv_sec = st.st_atim.tv_sec;
	stx->stx_mtime.tv_sec = st.st_mtim.tv_sec;
	stx->stx_ctime.tv_sec = st.st_ctim.tv_sec;
	stx->stx_rdev_major = major(st.st_rdev);
	stx->stx_rdev_minor = minor(st.st_rdev);
	stx->stx_dev_major = major(st.st_dev);
	stx->stx_dev_minor = minor(st.st_dev);
}

int access_node(uint64_t ino, int mode, bool effective)
{
	const Node *n = table().node(ino);
	uid_t uid = effective ? geteuid() : getuid();
	gid_t gid = effective ? getegid() : getgid();
	bool in_root_group = gid == 0;
	if (!in_root_group) {
		gid_t groups[256];
		int n_groups = getgroups(256, groups);
		for (int i = 0; i < n_groups; i++)
			in_root_group |= groups[i] == 0;
	}
	static_assert(R_OK == MLC_R_OK && W_OK == MLC_W_OK && X_OK == MLC_X_OK);
	// The same stand-in-for-root rule as every open (Cred).
	return mlc_vfs_faccessat(n->mode(), mode,
				 Cred{ uid, gid }.may_override_perm(),
				 in_root_group);
}

} // namespace mlc::preload
