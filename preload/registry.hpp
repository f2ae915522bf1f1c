// SPDX-License-Identifier: GPL-2.0
//
// The open file descriptions of one instance that the preload door serves,
// in a file every process of the instance maps (STATE_DIR/NAME/open-files.v1).
//
// The kernel keeps an open file description (position, flags, the driver's
// per-open state) for as long as any descriptor in any process refers to
// it, across dup, fork and exec.  So does the door, with the kernel's help:
//
//   - each description is a slot here: its node, open flags, opener's
//     credentials, position and the OpenFile's state bytes (the seq_file
//     buffer), under a robust lock of its own;
//   - the program's descriptor is a real kernel descriptor, a "placeholder"
//     opened on this very file, one open per description, so dup, fork,
//     exec, close-on-exec, O_NONBLOCK and close are the kernel's own;
//   - the placeholder's kernel file position (never used for data) names
//     its slot and the slot's generation, so a process that inherited it
//     through exec finds the slot with one lseek;
//   - the placeholder holds an OFD lock (F_OFD_SETLK) on one byte that is
//     the slot's, and the kernel drops that lock exactly when the last
//     descriptor of the description goes, in whatever process, even one
//     killed by SIGKILL: a slot whose byte nobody holds is a description
//     that is gone, and the driver's release runs then.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "emulator/robust_mutex.hpp"

namespace mlc::preload {

enum SlotState : uint32_t {
	kSlotFree = 0,
	kSlotOpening = 1, // being opened by owner_pid
	kSlotLive = 2, // a description that exists
	kSlotReleasing = 3, // its release runs in owner_pid
};

constexpr size_t kSlotSize = 16384;
constexpr uint32_t kSlotCount = 1024;

struct SlotRecord {
	uint32_t state;
	int32_t owner_pid;
	uint64_t gen; // bumped at every allocation
	int32_t open_flags; // as the program passed them
	uint32_t uid, gid; // the opener's (effective) credentials
	uint32_t kind; // 0: a file, 1: a path only (O_PATH, directory)
	RobustMutex lock; // one operation at a time
	int64_t pos; // the file position
	uint64_t state_version; // bumped at every save of state[]
	uint32_t state_len;
	uint32_t reserved;
	char node_path[128]; // the table path ("dev/mlcore")
	char real_path[512]; // the absolute path as opened
	alignas(64) unsigned char bytes
		[1]; // the OpenFile's state, kStateMax at most
};

constexpr size_t kStateMax = kSlotSize - offsetof(SlotRecord, bytes);

class Registry {
public:
	// Opens (creating if needed) the registry file at path.  nullptr with
	// errno set when it cannot.
	static std::unique_ptr<Registry>
	open(const std::filesystem::path &path);
	~Registry();

	SlotRecord &slot(uint32_t i) const;
	const std::filesystem::path &path() const
	{
		return path_;
	}

	// Whether fd (from fstat) is a placeholder of this registry.
	bool is_placeholder(dev_t dev, ino_t ino) const
	{
		return dev == dev_ && ino == ino_;
	}

	// A free slot marked as being opened by this process, or -ENFILE.
	int allocate();
	// A real descriptor for slot i: opened on the registry file with the
	// program's O_CLOEXEC/O_NONBLOCK/O_APPEND/... flags, holding slot i's
	// lock byte, positioned at its name.  -errno when it cannot.
	int open_placeholder(uint32_t i, int flags);
	// Marks slot i live (after its placeholder holds the lock).
	void publish(uint32_t i);
	void free_slot(uint32_t i);

	// The slot and generation a placeholder names (from its position).
	static bool decode(int64_t pos, uint32_t *slot, uint64_t *gen);

	// If no descriptor holds slot i (generation gen) any more, marks it
	// releasing by this process and returns true: the caller runs the
	// release, then free_slot().
	bool claim_if_gone(uint32_t i, uint64_t gen);
	// Every live slot no descriptor holds (their holders died or exec'd
	// with close-on-exec), claimed for release by this process.
	std::vector<uint32_t> claim_all_gone();

private:
	Registry() = default;
	bool held(uint32_t i) const;
	bool owner_dead(const SlotRecord &r) const;

	std::filesystem::path path_;
	int probe_fd_ = -1; // an OFD of our own that never locks anything
	dev_t dev_ = 0;
	ino_t ino_ = 0;
	void *base_ = nullptr;
	size_t size_ = 0;
};

} // namespace mlc::preload
