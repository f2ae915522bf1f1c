// SPDX-License-Identifier: GPL-2.0
//
// The emulator's own read-only files: the instance's log file (what the
// driver appends to /var/log/mlcore.log) and its kernel log as dmesg prints
// it.  Neither is a kernel file, so plain-file semantics apply: a snapshot
// taken at open, read and lseek'd like any regular file, never writable.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "emulator/instance.hpp"
#include "emulator/served_files.hpp"

namespace mlc {

namespace {

constexpr int kSeekSet = 0, kSeekCur = 1, kSeekEnd = 2;

class TextSnapshotFile final : public OpenFile {
public:
	explicit TextSnapshotFile(std::string text) : text_(std::move(text)) {}

	long read(mlc_uptr dst, size_t size, int64_t *pos, UserMemory &mem) override
	{
		if (*pos < 0)
			return -EINVAL;
		if (static_cast<uint64_t>(*pos) >= text_.size() || size == 0)
			return 0;
		size_t n = std::min(size, text_.size() - static_cast<size_t>(*pos));
		size_t left = mem.copy_to(dst, text_.data() + *pos, n);
		if (left == n)
			return -EFAULT;
		*pos += static_cast<int64_t>(n - left);
		return static_cast<long>(n - left);
	}
	long write(mlc_uptr, size_t, int64_t *, UserMemory &) override { return -EBADF; }
	long ioctl(unsigned int, mlc_uptr, UserMemory &) override { return -ENOTTY; }
	int64_t lseek(int64_t *pos, int64_t offset, int whence) override
	{
		int64_t base = whence == kSeekSet   ? 0
			       : whence == kSeekCur ? *pos
			       : whence == kSeekEnd ? static_cast<int64_t>(text_.size())
						    : -1;
		// loff_t arithmetic wraps in the kernel; past INT64_MAX is EINVAL.
		int64_t target;
		if (base < 0 || __builtin_add_overflow(base, offset, &target) ||
		    target < 0)
			return -EINVAL;
		return *pos = target;
	}
	long mmap() override { return -ENODEV; }
	unsigned int poll() override { return POLLIN | POLLRDNORM; }
	bool nonseekable() const override { return false; }

private:
	std::string text_;
};

// Read-only: any open for writing is refused, whoever asks.
bool wants_write(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
}

// A read-only text file whose content is taken when it is opened.
class SnapshotNode final : public Node {
public:
	using SnapshotFn = std::string (*)(Instance &inst);

	SnapshotNode(std::string path, SnapshotFn snapshot)
		: Node(std::move(path), NodeType::Regular, 0444), snapshot_(snapshot)
	{
	}
	bool generated() const override { return true; }
	std::unique_ptr<OpenFile> open(Instance &inst, int flags, const Cred &,
				       int *err) const override
	{
		if (wants_write(flags)) {
			*err = -EACCES;
			return nullptr;
		}
		*err = 0;
		return std::make_unique<TextSnapshotFile>(snapshot_(inst));
	}

private:
	SnapshotFn snapshot_;
};

// The instance's log file as it is now (empty before the first line).
std::string log_file_text(Instance &inst)
{
	std::string text;
	int fd = ::open(inst.log_path().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return text;
	char buf[65536];
	ssize_t n;
	while ((n = ::read(fd, buf, sizeof(buf))) > 0)
		text.append(buf, static_cast<size_t>(n));
	::close(fd);
	return text;
}

// The kernel log as dmesg prints it.
std::string dmesg_text(Instance &inst)
{
	std::string text;
	for (const auto &rec : inst.device().kernel_log())
		text += format_dmesg(rec) + "\n";
	return text;
}

// The kernel log in /dev/kmsg's record format, "LEVEL,SEQ,USEC,-;text\n",
// one record per read (EINVAL when the buffer cannot hold it), 0 at the end
// (where the kernel's would block or give EAGAIN).  Records are read live,
// so a reader that keeps the file open sees the lines of later operations:
// what the conformance runner compares with the kernel's /dev/kmsg.
class KmsgFile final : public OpenFile {
public:
	explicit KmsgFile(Device &dev) : dev_(dev) {}

	long read(mlc_uptr dst, size_t size, int64_t *pos, UserMemory &mem) override
	{
		auto recs = dev_.kernel_log(next_, 1);
		if (recs.empty())
			return 0;
		const KernelLogRecord &rec = recs.front();
		std::string text = std::to_string(rec.level) + "," +
				   std::to_string(rec.seq) + "," +
				   std::to_string(rec.ts_ns / 1000) + ",-;" +
				   rec.text + "\n";
		if (size < text.size())
			return -EINVAL;
		if (mem.copy_to(dst, text.data(), text.size()) != 0)
			return -EFAULT;
		next_ = rec.seq + 1;
		*pos += static_cast<int64_t>(text.size());
		return static_cast<long>(text.size());
	}
	long write(mlc_uptr, size_t, int64_t *, UserMemory &) override { return -EBADF; }
	long ioctl(unsigned int, mlc_uptr, UserMemory &) override { return -ENOTTY; }
	int64_t lseek(int64_t *, int64_t, int) override { return -ESPIPE; }
	long mmap() override { return -ENODEV; }
	unsigned int poll() override { return POLLIN | POLLRDNORM; }
	bool nonseekable() const override { return true; }

	// The next record is the description's state (see OpenFile).
	size_t state_size() const override { return sizeof(next_); }
	void save_state(void *dst) const override
	{
		std::memcpy(dst, &next_, sizeof(next_));
	}
	void load_state(const void *src) override
	{
		std::memcpy(&next_, src, sizeof(next_));
	}

private:
	Device &dev_;
	uint64_t next_ = 0;
};

class KmsgNode final : public Node {
public:
	explicit KmsgNode(std::string path)
		: Node(std::move(path), NodeType::Regular, 0444)
	{
	}
	bool generated() const override { return true; }
	std::unique_ptr<OpenFile> open(Instance &inst, int flags, const Cred &,
				       int *err) const override
	{
		if (wants_write(flags)) {
			*err = -EACCES;
			return nullptr;
		}
		*err = 0;
		return std::make_unique<KmsgFile>(inst.device());
	}
};

}  // namespace

std::unique_ptr<Node> make_kmsg_node(std::string path)
{
	return std::make_unique<KmsgNode>(std::move(path));
}

std::unique_ptr<Node> make_log_file_node(std::string path)
{
	return std::make_unique<SnapshotNode>(std::move(path), log_file_text);
}

std::unique_ptr<Node> make_dmesg_node(std::string path)
{
	return std::make_unique<SnapshotNode>(std::move(path), dmesg_text);
}

}  // namespace mlc
