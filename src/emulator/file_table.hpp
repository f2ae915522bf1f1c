// SPDX-License-Identifier: GPL-2.0
//
// The virtual file table: one description of every path an instance serves
// (dev/, proc/, sys/, the log file, dmesg), with its type, mode and the core
// handler behind it.  Every door serves this table; no door has a list of
// paths of its own.
//
// Like gVisor's device and procfs packages, each file is a small object with
// a narrow interface: a Node says what the path is and opens it; the
// OpenFile it returns is one open file description (its own seq_file
// buffer, ml_lib file offset, ...), released by destruction.
//
// Positions belong to the door: FUSE passes the kernel's offset in, the
// preload door keeps one per open file description.  Every call returns a
// count or -errno, decided here or in the core, never in a door.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/user/host.hpp"

extern "C" {
#include "core/mlc_ioctl_copy.h"
}

namespace mlc {

class Instance;

// Who is opening: the permission checks that depend on it live in the core.
//
// On the kernel every served file belongs to root, and only root (by
// CAP_DAC_OVERRIDE, or as the owner of sysfs attributes) may open proc
// files for writing or write a model's `control`.  In an instance the user
// who owns it stands in for root: they get what root would get (open,
// access), so an agent that needs root on the kernel runs
// unprivileged here.  Anybody else (with --allow-other) gets what an
// unprivileged user gets on the kernel.  The instance's owner is the user
// of the process serving it (segment names carry that uid).
struct Cred {
	uid_t uid = 0;
	gid_t gid = 0;
	bool may_override_perm() const { return uid == 0 || uid == getuid(); }
};

class OpenFile {
public:
	virtual ~OpenFile() = default;

	// read(2)/write(2) at *pos, which they advance.
	virtual long read(mlc_uptr dst, size_t size, int64_t *pos,
			  UserMemory &mem) = 0;
	virtual long write(mlc_uptr src, size_t size, int64_t *pos,
			   UserMemory &mem) = 0;
	virtual long ioctl(unsigned int cmd, mlc_uptr arg, UserMemory &mem) = 0;
	// The bytes ioctl(cmd) reads and writes at its argument, for doors
	// that must fetch them first (CUSE); false when cmd touches none.
	virtual bool ioctl_copy(unsigned int cmd, mlc_ioctl_copy *copy) const
	{
		(void)cmd;
		(void)copy;
		return false;
	}
	// lseek(2) from *pos; returns the new position or -errno.
	virtual int64_t lseek(int64_t *pos, int64_t offset, int whence) = 0;
	virtual long mmap() = 0;
	virtual unsigned int poll() = 0;
	// Whether the file has no notion of position (lseek gives ESPIPE).
	virtual bool nonseekable() const = 0;

	// --- One open file description in several processes (preload door) ---
	// A description survives fork and exec there, so its mutable state
	// (a seq_file buffer, ...) lives in shared memory: the door saves it
	// after each operation and loads it into another process's object
	// before the next.  Plain bytes, no pointers; 0 (the default) when the
	// file keeps nothing beyond the position the door passes in.
	virtual size_t state_size() const { return 0; }
	virtual void save_state(void *dst) const { (void)dst; }
	virtual void load_state(const void *src) { (void)src; }

	// Whether destroying this object is the driver's release().  True for
	// what Node::open() returns, false for Node::attach(); a door sharing
	// a description between processes lets only its last holder release.
	bool releases() const { return releases_; }
	void set_releases(bool on) { releases_ = on; }

private:
	bool releases_ = true;
};

enum class NodeType { Directory, Regular, CharDevice };

class Node {
public:
	Node(std::string path, NodeType type, mode_t perm, dev_t rdev = 0)
		: path_(std::move(path)), type_(type), perm_(perm), rdev_(rdev)
	{
	}
	virtual ~Node() = default;

	const std::string &path() const { return path_; }	// "" is the root
	std::string_view name() const;
	NodeType type() const { return type_; }
	mode_t perm() const { return perm_; }
	dev_t rdev() const { return rdev_; }
	// st_mode: type bits | permission bits.
	mode_t mode() const;
	// Whether its contents are generated per open (proc, sysfs, dmesg):
	// doors must not cache its attributes or data.
	virtual bool generated() const { return false; }
	// Whether it is a seq_file (proc, sysfs): lseek SEEK_END is EINVAL.
	virtual bool seq_file() const { return false; }
	// st_size (sysfs attributes are one page; everything else 0).
	virtual int64_t size() const { return 0; }

	// open(2).  Returns the open file, or null with *err = -errno.
	virtual std::unique_ptr<OpenFile> open(Instance &inst, int flags,
					       const Cred &cred, int *err) const;
	// Another handle on a description open() made earlier, maybe in
	// another process (the preload door after fork or exec): no driver
	// open, and no release on destruction unless set_releases(true).  The
	// default opens again, which is right for the files whose open and
	// release do nothing beyond this object (mlcore's and every proc file);
	// a file with open/release side effects overrides it.  Null if the
	// node cannot be opened at all.
	virtual std::unique_ptr<OpenFile> attach(Instance &inst, int flags,
						 const Cred &cred) const;

private:
	std::string path_;
	NodeType type_;
	mode_t perm_;
	dev_t rdev_;
};

// Inode numbers are 1 + the node's index; 1 is the root directory.
class FileTable {
public:
	using Ino = uint64_t;
	static constexpr Ino kRootIno = 1;

	// The table of every path the emulator serves.
	static const FileTable &standard();

	size_t size() const { return nodes_.size(); }
	const Node *node(Ino ino) const;
	std::optional<Ino> lookup(Ino parent, std::string_view name) const;
	// A relative path such as "proc/mlcore_result" (no "." or "..").
	std::optional<Ino> resolve(std::string_view path) const;
	std::vector<Ino> children(Ino dir) const;
	Ino parent(Ino ino) const;

	void add(std::unique_ptr<Node> node);

private:
	std::vector<std::unique_ptr<Node>> nodes_;
};

}  // namespace mlc
