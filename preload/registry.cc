// SPDX-License-Identifier: GPL-2.0
#include "preload/registry.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

#include "preload/real.hpp"

namespace mlc::preload {

namespace {

constexpr uint64_t kMagic = 0x31444f4645524f43ULL; // "COREFOD1"
constexpr uint32_t kVersion = 2; // 2: RobustMutex keeps its owner's pid
constexpr size_t kHeaderSize = 4096;
constexpr size_t kFileSize = kHeaderSize + size_t{ kSlotCount } * kSlotSize;
// Lock bytes live far from the data (locks need no data behind them).
constexpr off_t kLockBase = off_t{ 1 } << 30;
// A placeholder's position: kPosBase + (generation << kSlotBits | slot),
// far beyond the end of the file (a read the door does not see, such as a
// C library's internal one, finds EOF, never the registry's bytes) and
// below 2^40, which every filesystem's largest file size allows.
constexpr unsigned kSlotBits = 12;
constexpr uint64_t kGenMask = (uint64_t{ 1 } << 24) - 1;
constexpr uint64_t kPosBase = uint64_t{ 1 } << 36;
static_assert(kSlotCount <= (1u << kSlotBits));
static_assert(kPosBase > kFileSize &&
	      kPosBase + (kGenMask << kSlotBits) + (1u << kSlotBits) <
		      (uint64_t{ 1 } << 40));

struct Header {
	uint64_t magic;
	uint32_t version;
	uint32_t slot_count;
	uint64_t slot_size;
	RobustMutex lock; // allocation and release of slots
	uint32_t high_water; // slots [high_water, slot_count) were never used
};
static_assert(sizeof(Header) <= kHeaderSize);
static_assert(sizeof(SlotRecord) <= kSlotSize);

Header &header(void *base)
{
	return *static_cast<Header *>(base);
}

int fcntl_lock(int fd, int cmd, short type, off_t start)
{
	struct flock fl {};
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = start;
	fl.l_len = 1;
	fl.l_pid = 0;
	return real().fcntl(fd, cmd, &fl);
}

// Opens path read-write, refusing a symlink or anything not our own file.
int open_own(const std::filesystem::path &path, int extra)
{
	int fd = real().open(path.c_str(),
			     O_RDWR | O_NOFOLLOW | O_CLOEXEC | extra, 0600);
	if (fd < 0)
		return -1;
	struct stat st;
	if (real().fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		real().close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

// Creates a fully initialised registry at path, atomically (link()).
void create(const std::filesystem::path &path)
{
	std::string tmp = path.string() + ".new." + std::to_string(getpid());
	unlink(tmp.c_str());
	int fd = real().open(tmp.c_str(),
			     O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			     0600);
	if (fd < 0)
		return;
	if (ftruncate(fd, kFileSize) == 0) {
		void *base = real().mmap(nullptr, kHeaderSize,
					 PROT_READ | PROT_WRITE, MAP_SHARED, fd,
					 0);
		if (base != MAP_FAILED) {
			Header &h = header(base);
			h.version = kVersion;
			h.slot_count = kSlotCount;
			h.slot_size = kSlotSize;
			h.lock.init();
			std::atomic_ref<uint64_t>(h.magic).store(
				kMagic, std::memory_order_release);
			munmap(base, kHeaderSize);
			(void)link(tmp.c_str(),
				   path.c_str()); // EEXIST: theirs wins
		}
	}
	real().close(fd);
	unlink(tmp.c_str());
}

} // namespace

std::unique_ptr<Registry> Registry::open(const std::filesystem::path &path)
{
	int fd = open_own(path, 0);
	if (fd < 0 && errno == ENOENT) {
		create(path);
		fd = open_own(path, 0);
	}
	if (fd < 0)
		return nullptr;
	struct stat st;
	if (real().fstat(fd, &st) != 0 ||
	    static_cast<size_t>(st.st_size) < kFileSize) {
		real().close(fd);
		errno = EINVAL;
		return nullptr;
	}
	void *base = real().mmap(nullptr, kFileSize, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		real().close(fd);
		return nullptr;
	}
	const Header &h = header(base);
	if (std::atomic_ref<const uint64_t>(h.magic).load(
		    std::memory_order_acquire) != kMagic ||
	    h.version != kVersion || h.slot_count != kSlotCount ||
	    h.slot_size != kSlotSize) {
		munmap(base, kFileSize);
		real().close(fd);
		errno = EINVAL;
		return nullptr;
	}
	std::unique_ptr<Registry> r(new Registry);
	r->path_ = path;
	r->probe_fd_ = fd;
	r->dev_ = st.st_dev;
	r->ino_ = st.st_ino;
	r->base_ = base;
	r->size_ = kFileSize;
	return r;
}

Registry::~Registry()
{
	if (base_)
		munmap(base_, size_);
	if (probe_fd_ >= 0)
		real().close(probe_fd_);
}

SlotRecord &Registry::slot(uint32_t i) const
{
	return *reinterpret_cast<SlotRecord *>(static_cast<char *>(base_) +
					       kHeaderSize +
					       size_t{ i } * kSlotSize);
}

bool Registry::held(uint32_t i) const
{
	struct flock fl {};
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = kLockBase + i;
	fl.l_len = 1;
	if (real().fcntl(probe_fd_, F_OFD_GETLK, &fl) != 0)
		return true; // cannot tell: keep it
	return fl.l_type != F_UNLCK;
}

bool Registry::owner_dead(const SlotRecord &r) const
{
	return r.owner_pid > 0 && kill(r.owner_pid, 0) != 0 && errno == ESRCH;
}

int Registry::allocate()
{
	Header &h = header(base_);
	RobustLock guard(h.lock, "the preload registry");
	int found = -1;
	for (uint32_t i = 0; i < h.high_water && found < 0; i++)
		if (slot(i).state == kSlotFree)
			found = static_cast<int>(i);
	// Openers that died half-way leave slots that are safe to take back.
	for (uint32_t i = 0; i < h.high_water && found < 0; i++) {
		SlotRecord &r = slot(i);
		if (r.state == kSlotOpening && owner_dead(r) && !held(i))
			found = static_cast<int>(i);
	}
	if (found < 0 && h.high_water < kSlotCount)
		found = static_cast<int>(h.high_water++);
	if (found < 0)
		return -ENFILE;
	SlotRecord &r = slot(static_cast<uint32_t>(found));
	uint64_t gen = r.gen + 1;
	std::memset(static_cast<void *>(&r), 0, offsetof(SlotRecord, bytes));
	r.gen = gen;
	r.lock.init();
	r.owner_pid = getpid();
	r.state = kSlotOpening;
	return found;
}

int Registry::open_placeholder(uint32_t i, int flags)
{
	// What the description's own flags are made of.  The access mode is
	// always read-only (the read lock needs no more, and a write the door
	// does not see fails with EBADF instead of landing in the registry);
	// the door reports the program's (mlc_vfs_getfl()).
	constexpr int kKept = O_CLOEXEC | O_NONBLOCK | O_APPEND | O_ASYNC |
			      O_DSYNC | O_SYNC | O_NOATIME;
	int fd = real().open(path_.c_str(),
			     O_RDONLY | O_NOFOLLOW | (flags & kKept));
	if (fd < 0)
		return -errno;
	struct stat st;
	if (real().fstat(fd, &st) != 0 ||
	    !is_placeholder(st.st_dev, st.st_ino) ||
	    fcntl_lock(fd, F_OFD_SETLK, F_RDLCK, kLockBase + i) != 0) {
		int err = errno ? errno : EIO;
		real().close(fd);
		return -err;
	}
	uint64_t name =
		kPosBase + (((slot(i).gen & kGenMask) << kSlotBits) | i);
	if (real().lseek(fd, static_cast<off_t>(name), SEEK_SET) < 0) {
		int err = errno;
		real().close(fd);
		return -err;
	}
	return fd;
}

bool Registry::decode(int64_t pos, uint32_t *i, uint64_t *gen)
{
	if (pos < 0 || static_cast<uint64_t>(pos) < kPosBase)
		return false;
	uint64_t name = static_cast<uint64_t>(pos) - kPosBase;
	*i = static_cast<uint32_t>(name & ((1u << kSlotBits) - 1));
	*gen = name >> kSlotBits;
	return *i < kSlotCount && *gen <= kGenMask;
}

void Registry::publish(uint32_t i)
{
	RobustLock guard(header(base_).lock, "the preload registry");
	slot(i).owner_pid = 0;
	slot(i).state = kSlotLive;
}

void Registry::free_slot(uint32_t i)
{
	RobustLock guard(header(base_).lock, "the preload registry");
	slot(i).owner_pid = 0;
	slot(i).state = kSlotFree;
}

bool Registry::claim_if_gone(uint32_t i, uint64_t gen)
{
	RobustLock guard(header(base_).lock, "the preload registry");
	SlotRecord &r = slot(i);
	if (r.state != kSlotLive || (r.gen & kGenMask) != (gen & kGenMask) ||
	    held(i))
		return false;
	r.state = kSlotReleasing;
	r.owner_pid = getpid();
	return true;
}

std::vector<uint32_t> Registry::claim_all_gone()
{
	std::vector<uint32_t> out;
	Header &h = header(base_);
	RobustLock guard(h.lock, "the preload registry");
	for (uint32_t i = 0; i < h.high_water; i++) {
		SlotRecord &r = slot(i);
		bool gone = false;
		if (r.state == kSlotLive)
			gone = !held(i);
		else if (r.state == kSlotReleasing || r.state == kSlotOpening)
			gone = owner_dead(r) && !held(i);
		if (!gone)
			continue;
		if (r.state ==
		    kSlotOpening) { // never opened: nothing to release
			r.state = kSlotFree;
			continue;
		}
		r.state = kSlotReleasing;
		r.owner_pid = getpid();
		out.push_back(i);
	}
	return out;
}

} // namespace mlc::preload
