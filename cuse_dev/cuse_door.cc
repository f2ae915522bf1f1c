// SPDX-License-Identifier: GPL-2.0
//
// One handler per CUSE operation, each replying once, in the manner of
// libfuse's example/cuse.c.  Open files live in fi->fh.
#define FUSE_USE_VERSION 314
#include "cuse_dev/cuse_door.hpp"

#include <cuse_lowlevel.h>
#include <fuse_lowlevel.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

extern "C" {
#include "core/vfs_model.h"
}
#include "../include/uapi/ml_lib.h"
#include "../include/uapi/ml_loop.h"
#include "../include/uapi/mlcore.h"
#include "emulator/file_table.hpp"
#include "emulator/instance.hpp"
#include "platform/user/region_memory.hpp"

namespace mlc {

namespace {

// Reads land at this pseudo address: RegionMemory bounds every access.
constexpr mlc_uptr kReplyBase = 0x10000;
// Larger than any argument a served device copies.
constexpr size_t kMaxTransfer = 4096;

const CuseDevice kDevices[] = {
	{MLCORE_DEVICE_NAME, "dev/mlcore", MLCORE_MAJOR, 0},
	{ML_LIB_TEST_DEVICE_NAME, "dev/" ML_LIB_TEST_DEVICE_NAME, 0, 0},
	{ML_LOOP_DEVICE_NAME, "dev/" ML_LOOP_DEVICE_NAME, 0, 0},
};

// One open file description: the table's open file and, since the CUSE
// kernel side always sends offset 0, the file position.
struct CuseFile {
	std::unique_ptr<OpenFile> file;
	int64_t pos = 0;
};

CuseFile *cuse_file(fuse_file_info *fi)
{
	return reinterpret_cast<CuseFile *>(fi->fh);
}

}  // namespace

const CuseDevice *CuseDevice::find(const std::string &name)
{
	for (const auto &d : kDevices)
		if (d.name == name)
			return &d;
	return nullptr;
}

std::string CuseDevice::known_names()
{
	std::string s;
	for (const auto &d : kDevices)
		s += (s.empty() ? "" : ", ") + d.name;
	return s;
}

std::string cuse_unusable_reason(int err)
{
	return fmt::format("cannot use /dev/cuse: {}; real character devices need "
			   "the cuse module and root: run `modprobe cuse` as root "
			   "(without root: `mlcore-emu serve --root DIR` or "
			   "`mlcore-emu run`)", strerror(err));
}

std::string chrdev_major_owner(unsigned int major)
{
	std::ifstream in("/proc/devices");
	std::string line;
	bool chr = false;
	while (std::getline(in, line)) {
		if (line == "Character devices:") {
			chr = true;
			continue;
		}
		if (line.empty() || line.back() == ':') {
			chr = false;
			continue;
		}
		if (!chr)
			continue;
		std::istringstream fields(line);
		unsigned int m;
		std::string name;
		if (fields >> m >> name && m == major)
			return name;
	}
	return "";
}

struct CuseDoor::Impl {
	Instance &inst;
	const FileTable &table;
	const CuseDevice &dev;
	CuseDoorOptions opts;
	const Node *node = nullptr;
	fuse_session *se = nullptr;
	std::vector<std::byte> read_buf;	// one request at a time: reused
	std::byte ioctl_buf[kMaxTransfer];

	Impl(Instance &i, const FileTable &t, const CuseDevice &d, CuseDoorOptions o)
		: inst(i), table(t), dev(d), opts(o)
	{
	}

	static Impl &of(fuse_req_t req)
	{
		return *static_cast<Impl *>(fuse_req_userdata(req));
	}
};

namespace {

using Impl = CuseDoor::Impl;

void cuse_open(fuse_req_t req, fuse_file_info *fi)
{
	Impl &d = Impl::of(req);
	const fuse_ctx *ctx = fuse_req_ctx(req);
	Cred cred{ctx->uid, ctx->gid};
	int err = 0;
	auto f = std::make_unique<CuseFile>();
	f->file = d.node->open(d.inst, fi->flags, cred, &err);
	if (!f->file) {
		fuse_reply_err(req, -err);
		return;
	}
	fi->direct_io = 1;
	fi->nonseekable = f->file->nonseekable();
	fi->fh = reinterpret_cast<uint64_t>(f.get());
	if (fuse_reply_open(req, fi) == 0)
		f.release();	// owned by fi->fh until release
}

void cuse_release(fuse_req_t req, fuse_file_info *fi)
{
	delete cuse_file(fi);
	fuse_reply_err(req, 0);
}

void cuse_read(fuse_req_t req, size_t size, off_t, fuse_file_info *fi)
{
	Impl &d = Impl::of(req);
	if (d.read_buf.size() < size)
		d.read_buf.resize(size);
	RegionMemory mem(kReplyBase, std::span(d.read_buf.data(), size));
	CuseFile *f = cuse_file(fi);
	long r = f->file->read(kReplyBase, size, &f->pos, mem);
	if (r < 0)
		fuse_reply_err(req, static_cast<int>(-r));
	else
		fuse_reply_buf(req, reinterpret_cast<const char *>(d.read_buf.data()),
			       static_cast<size_t>(r));
}

void cuse_write(fuse_req_t req, const char *buf, size_t size, off_t,
		fuse_file_info *fi)
{
	auto *bytes = reinterpret_cast<std::byte *>(const_cast<char *>(buf));
	RegionMemory mem(kReplyBase, std::span(bytes, size));
	CuseFile *f = cuse_file(fi);
	long r = f->file->write(kReplyBase, size, &f->pos, mem);
	if (r < 0)
		fuse_reply_err(req, static_cast<int>(-r));
	else
		fuse_reply_write(req, static_cast<size_t>(r));
}

void cuse_ioctl(fuse_req_t req, int cmd_arg, void *arg, fuse_file_info *fi,
		unsigned flags, const void *in_buf, size_t in_bufsz,
		size_t out_bufsz)
{
	Impl &d = Impl::of(req);
	auto cmd = static_cast<unsigned int>(cmd_arg);
	if (flags & FUSE_IOCTL_COMPAT) {
		fuse_reply_err(req, static_cast<int>(-mlc_vfs_compat_ioctl_no_handler()));
		return;
	}
	// The device says how many bytes cmd copies (0 for an unknown cmd,
	// which the driver refuses without touching memory).
	mlc_ioctl_copy copy{0, 0};
	cuse_file(fi)->file->ioctl_copy(cmd, &copy);
	size_t in = copy.in, out = copy.out;
	if (in_bufsz < in || out_bufsz < out) {
		// Ask for exactly the driver's bytes; the kernel copies them in
		// (EFAULT to the caller if it cannot) and calls again.
		iovec in_iov{arg, in}, out_iov{arg, out};
		fuse_reply_ioctl_retry(req, in ? &in_iov : nullptr, in ? 1 : 0,
				       out ? &out_iov : nullptr, out ? 1 : 0);
		return;
	}
	size_t span = std::max(in, out);
	std::memcpy(d.ioctl_buf, in_buf, std::min(in_bufsz, span));
	if (span > in_bufsz)
		std::memset(d.ioctl_buf + in_bufsz, 0, span - in_bufsz);
	auto uarg = reinterpret_cast<mlc_uptr>(arg);
	RegionMemory mem(uarg, std::span(d.ioctl_buf, span));
	long r = cuse_file(fi)->file->ioctl(cmd, uarg, mem);
	if (r < 0)
		fuse_reply_err(req, static_cast<int>(-r));
	else
		fuse_reply_ioctl(req, static_cast<int>(r), d.ioctl_buf,
				 std::min(mem.written_end(), out_bufsz));
}

void cuse_init_done(void *userdata)
{
	auto *d = static_cast<Impl *>(userdata);
	if (d->opts.on_ready) {
		d->opts.on_ready();
		return;
	}
	fmt::print(stderr, "mlcore-cuse: /dev/{} is served (instance '{}')\n",
		   d->dev.name, d->inst.name());
}

const cuse_lowlevel_ops kOps = [] {
	cuse_lowlevel_ops ops{};
	ops.init_done = cuse_init_done;
	ops.open = cuse_open;
	ops.read = cuse_read;
	ops.write = cuse_write;
	ops.release = cuse_release;
	ops.ioctl = cuse_ioctl;
	// No flush (asked once, then never again) and no poll (the kernel then
	// reports DEFAULT_POLLMASK, as for the driver without a poll handler).
	return ops;
}();

}  // namespace

CuseDoor::CuseDoor(Instance &inst, const FileTable &table, const CuseDevice &dev,
		   CuseDoorOptions opts)
	: impl_(std::make_unique<Impl>(inst, table, dev, opts))
{
	auto ino = table.resolve(dev.table_path);
	if (!ino)
		throw CuseError(fmt::format("the file table has no {}", dev.table_path));
	impl_->node = table.node(*ino);
}

CuseDoor::~CuseDoor()
{
	if (impl_->se)
		cuse_lowlevel_teardown(impl_->se);
}

void CuseDoor::create()
{
	if (access("/dev/cuse", R_OK | W_OK) != 0)
		throw CuseError(fmt::format(
			"{}", cuse_unusable_reason(errno)));

	unsigned int major = impl_->dev.major;
	if (major) {
		std::string owner = chrdev_major_owner(major);
		if (!owner.empty()) {
			fmt::print(stderr,
				   "mlcore-cuse: major {} is taken by '{}' (is the {} "
				   "kernel module loaded?); /dev/{} gets a dynamic "
				   "major instead\n",
				   major, owner, impl_->dev.name, impl_->dev.name);
			major = 0;
		}
	}

	std::string devname = "DEVNAME=" + impl_->dev.name;
	const char *dev_info[] = {devname.c_str()};
	cuse_info ci{};
	ci.dev_major = major;
	ci.dev_minor = impl_->dev.minor;
	ci.dev_info_argc = 1;
	ci.dev_info_argv = dev_info;
	ci.flags = CUSE_UNRESTRICTED_IOCTL;

	// Foreground and single-threaded: one thread serves every request.
	std::vector<const char *> argv{"mlcore-cuse", "-f", "-s"};
	if (impl_->opts.debug)
		argv.push_back("-d");
	int multithreaded = 0;
	impl_->se = cuse_lowlevel_setup(static_cast<int>(argv.size()),
					const_cast<char **>(argv.data()), &ci, &kOps,
					&multithreaded, impl_.get());
	if (!impl_->se)
		throw CuseError("cannot set up the CUSE session (see the libfuse "
				"message above)");
}

int CuseDoor::serve()
{
	int r = fuse_session_loop(impl_->se);
	return r < 0 ? 1 : 0;
}

}  // namespace mlc
