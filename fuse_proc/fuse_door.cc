// SPDX-License-Identifier: GPL-2.0
//
// One handler per FUSE operation, each replying once, in the manner of
// libfuse's example/hello_ll.c.  Open files live in fi->fh as the table's
// OpenFile objects; everything they answer comes from the table and the core.
#define FUSE_USE_VERSION 314
#include "fuse_proc/fuse_door.hpp"

#include <fuse_lowlevel.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

extern "C" {
#include "core/vfs_model.h"
}
#include "emulator/file_table.hpp"
#include "emulator/instance.hpp"
#include "emulator/log_file.hpp"
#include "platform/user/region_memory.hpp"

namespace mlc {

namespace {

// Static entries never change; generated files are never cached, so every
// SEEK_END asks us (see door_getattr).
constexpr double kStaticTimeout = 3600.0;
// The largest ioctl argument the kernel can encode (_IOC_SIZEBITS = 14).
constexpr size_t kMaxIoctlSize = 1u << 14;
// Reads land in the caller's buffer at this pseudo address: any mapped
// address works, since RegionMemory bounds every access to the reply buffer.
constexpr mlc_uptr kReplyBase = 0x10000;

}  // namespace

struct FuseDoor::Impl {
	Instance &inst;
	const FileTable &table;
	FuseDoorOptions opts;
	fuse_session *se = nullptr;
	bool mounted = false;
	uid_t uid = getuid();	// every file belongs to the mounting user
	gid_t gid = getgid();
	std::vector<std::byte> read_buf;	// one request at a time: reused
	std::byte ioctl_buf[kMaxIoctlSize];

	Impl(Instance &i, const FileTable &t, FuseDoorOptions o)
		: inst(i), table(t), opts(o)
	{
	}

	static Impl &of(fuse_req_t req)
	{
		return *static_cast<Impl *>(fuse_req_userdata(req));
	}

	void fill_attr(FileTable::Ino ino, struct stat *st) const
	{
		const Node *n = table.node(ino);
		std::memset(st, 0, sizeof(*st));
		st->st_ino = ino;
		// A FUSE file cannot be a device that reaches us: dev/ nodes are
		// regular files that take the device's ioctls.
		st->st_mode = n->type() == NodeType::CharDevice
				      ? (S_IFREG | n->perm())
				      : n->mode();
		st->st_nlink = n->type() == NodeType::Directory ? 2 : 1;
		st->st_uid = uid;
		st->st_gid = gid;
		st->st_size = n->size();
		st->st_blksize = 4096;
		st->st_atime = st->st_mtime = st->st_ctime =
			inst.header().created_realtime_sec;
	}

	double attr_timeout(FileTable::Ino ino) const
	{
		return table.node(ino)->generated() ? 0.0 : kStaticTimeout;
	}
};

namespace {

using Impl = FuseDoor::Impl;

OpenFile *open_file(fuse_file_info *fi)
{
	return reinterpret_cast<OpenFile *>(fi->fh);
}

void door_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	Impl &d = Impl::of(req);
	auto ino = d.table.lookup(parent, name);
	if (!ino) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fuse_entry_param e{};
	e.ino = *ino;
	e.attr_timeout = d.attr_timeout(*ino);
	e.entry_timeout = kStaticTimeout;
	d.fill_attr(*ino, &e.attr);
	fuse_reply_entry(req, &e);
}

// A GETATTR that carries an open seq file's handle comes from lseek's
// SEEK_END (FUSE_GETATTR_FH); seq_lseek() refuses SEEK_END with EINVAL, so
// we refuse the attribute refresh and the kernel returns that error.
void door_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info *fi)
{
	Impl &d = Impl::of(req);
	const Node *n = d.table.node(ino);
	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (fi && n->seq_file()) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	struct stat st;
	d.fill_attr(ino, &st);
	fuse_reply_attr(req, &st, d.attr_timeout(ino));
}

void door_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info *fi)
{
	Impl &d = Impl::of(req);
	const Node *n = d.table.node(ino);
	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	const fuse_ctx *ctx = fuse_req_ctx(req);
	Cred cred{ctx->uid, ctx->gid};
	int err = 0;
	std::unique_ptr<OpenFile> f = n->open(d.inst, fi->flags, cred, &err);
	if (!f) {
		fuse_reply_err(req, -err);
		return;
	}
	fi->direct_io = 1;	// size 0 files with generated text: no page cache
	fi->nonseekable = f->nonseekable();
	fi->fh = reinterpret_cast<uint64_t>(f.get());
	if (fuse_reply_open(req, fi) == 0)
		f.release();	// owned by fi->fh until release
}

void door_release(fuse_req_t req, fuse_ino_t, fuse_file_info *fi)
{
	delete open_file(fi);
	fuse_reply_err(req, 0);
}

void door_read(fuse_req_t req, fuse_ino_t, size_t size, off_t off,
	       fuse_file_info *fi)
{
	Impl &d = Impl::of(req);
	if (d.read_buf.size() < size)
		d.read_buf.resize(size);
	RegionMemory mem(kReplyBase, std::span(d.read_buf.data(), size));
	int64_t pos = off;
	long r = open_file(fi)->read(kReplyBase, size, &pos, mem);
	if (r < 0)
		fuse_reply_err(req, static_cast<int>(-r));
	else
		fuse_reply_buf(req, reinterpret_cast<const char *>(d.read_buf.data()),
			       static_cast<size_t>(r));
}

void door_write(fuse_req_t req, fuse_ino_t, const char *buf, size_t size,
		off_t off, fuse_file_info *fi)
{
	// The caller's bytes are only read from; RegionMemory wants a span.
	auto *bytes = reinterpret_cast<std::byte *>(const_cast<char *>(buf));
	RegionMemory mem(kReplyBase, std::span(bytes, size));
	int64_t pos = off;
	long r = open_file(fi)->write(kReplyBase, size, &pos, mem);
	if (r < 0)
		fuse_reply_err(req, static_cast<int>(-r));
	else
		fuse_reply_write(req, static_cast<size_t>(r));
}

// The kernel copied _IOC_SIZE bytes in (for _IOC_WRITE) and will copy back
// exactly as many bytes as we reply: only what the core wrote.
void door_ioctl(fuse_req_t req, fuse_ino_t, unsigned int cmd, void *arg,
		fuse_file_info *fi, unsigned flags, const void *in_buf,
		size_t in_bufsz, size_t out_bufsz)
{
	Impl &d = Impl::of(req);
	if (flags & FUSE_IOCTL_DIR) {	// opendir keeps no open file
		fuse_reply_err(req, static_cast<int>(-mlc_vfs_dir_ioctl_no_handler()));
		return;
	}
	if (flags & FUSE_IOCTL_COMPAT) {
		fuse_reply_err(req, static_cast<int>(-mlc_vfs_compat_ioctl_no_handler()));
		return;
	}
	size_t span = std::min(std::max(in_bufsz, out_bufsz), kMaxIoctlSize);
	size_t in_len = std::min(in_bufsz, span);
	if (in_len > 0)		// in_buf is NULL when the command sends nothing
		std::memcpy(d.ioctl_buf, in_buf, in_len);
	if (span > in_bufsz)
		std::memset(d.ioctl_buf + in_bufsz, 0, span - in_bufsz);
	auto uarg = reinterpret_cast<mlc_uptr>(arg);
	RegionMemory mem(uarg, std::span(d.ioctl_buf, span));
	long r = open_file(fi)->ioctl(cmd, uarg, mem);
	if (r < 0)
		fuse_reply_err(req, static_cast<int>(-r));
	else
		fuse_reply_ioctl(req, static_cast<int>(r), d.ioctl_buf,
				 std::min(mem.written_end(), out_bufsz));
}

// Only SEEK_DATA and SEEK_HOLE reach a FUSE server.
void door_lseek(fuse_req_t req, fuse_ino_t, off_t off, int whence,
		fuse_file_info *fi)
{
	int64_t pos = 0;
	int64_t r = open_file(fi)->lseek(&pos, off, whence);
	if (r < 0)
		fuse_reply_err(req, static_cast<int>(-r));
	else
		fuse_reply_lseek(req, r);
}

// Readiness as the file says (sysfs attributes add POLLERR|POLLPRI).  The
// answer never changes while a file stays open, so nobody is ever notified
// and the poll handle is dropped at once.
void door_poll(fuse_req_t req, fuse_ino_t, fuse_file_info *fi,
	       fuse_pollhandle *ph)
{
	if (ph)
		fuse_pollhandle_destroy(ph);
	fuse_reply_poll(req, open_file(fi)->poll());
}

void door_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info *fi)
{
	Impl &d = Impl::of(req);
	const Node *n = d.table.node(ino);
	if (!n)
		fuse_reply_err(req, ENOENT);
	else if (n->type() != NodeType::Directory)
		fuse_reply_err(req, ENOTDIR);
	else {
		fi->fh = 0;	// no OpenFile: ioctl sees FUSE_IOCTL_DIR
		fuse_reply_open(req, fi);
	}
}

void door_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		  fuse_file_info *)
{
	Impl &d = Impl::of(req);
	struct Entry {
		std::string name;
		FileTable::Ino ino;
	};
	std::vector<Entry> entries{{".", ino}, {"..", d.table.parent(ino)}};
	for (FileTable::Ino child : d.table.children(ino))
		entries.push_back({std::string(d.table.node(child)->name()), child});

	std::vector<char> buf(size);
	size_t used = 0;
	for (size_t i = static_cast<size_t>(off); i < entries.size(); i++) {
		struct stat st{};
		st.st_ino = entries[i].ino;
		st.st_mode = d.table.node(entries[i].ino)->mode();
		size_t need = fuse_add_direntry(req, buf.data() + used, size - used,
						entries[i].name.c_str(), &st,
						static_cast<off_t>(i + 1));
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf.data(), used);
}

const fuse_lowlevel_ops kOps = [] {
	fuse_lowlevel_ops ops{};
	ops.lookup = door_lookup;
	ops.getattr = door_getattr;
	ops.open = door_open;
	ops.release = door_release;
	ops.read = door_read;
	ops.write = door_write;
	ops.ioctl = door_ioctl;
	ops.lseek = door_lseek;
	ops.poll = door_poll;
	ops.opendir = door_opendir;
	ops.readdir = door_readdir;
	// No flush: unimplemented, it is asked once and never again, which
	// saves a round trip on every close().
	return ops;
}();

}  // namespace

FuseDoor::FuseDoor(Instance &inst, const FileTable &table, FuseDoorOptions opts)
	: impl_(std::make_unique<Impl>(inst, table, opts))
{
}

FuseDoor::~FuseDoor()
{
	if (!impl_->se)
		return;
	if (impl_->mounted)
		fuse_session_unmount(impl_->se);
	fuse_remove_signal_handlers(impl_->se);
	fuse_session_destroy(impl_->se);
}

void FuseDoor::mount(const std::string &root)
{
	if (access("/dev/fuse", R_OK | W_OK) != 0)
		throw DoorError(fmt::format(
			"cannot use /dev/fuse: {}. Load the fuse module (modprobe "
			"fuse), give the container --device /dev/fuse, or use the "
			"preload door, which needs no FUSE", strerror(errno)));

	std::string mount_opts = "default_permissions,fsname=mlcore-emu:" +
				 impl_->inst.name() + ",subtype=mlcore-emu";
	if (impl_->opts.allow_other)
		mount_opts += ",allow_other";
	std::vector<const char *> argv{"mlcore-emu", "-o", mount_opts.c_str()};
	if (impl_->opts.debug)
		argv.push_back("-d");
	fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()),
					const_cast<char **>(argv.data()));
	impl_->se = fuse_session_new(&args, &kOps, sizeof(kOps), impl_.get());
	if (!impl_->se)
		throw DoorError("cannot create the FUSE session (see the libfuse "
				"message above)");
	if (fuse_set_signal_handlers(impl_->se) != 0)
		throw DoorError("cannot install signal handlers");
	if (fuse_session_mount(impl_->se, root.c_str()) != 0)
		throw DoorError(fmt::format(
			"cannot mount at {} (see the libfuse message above){}", root,
			impl_->opts.allow_other
				? "; --allow-other needs root or user_allow_other "
				  "in /etc/fuse.conf"
				: ""));
	impl_->mounted = true;
}

int FuseDoor::serve()
{
	int r = fuse_session_loop(impl_->se);
	fuse_session_unmount(impl_->se);
	impl_->mounted = false;
	return r < 0 ? 1 : 0;
}

}  // namespace mlc
