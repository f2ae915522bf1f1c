// SPDX-License-Identifier: GPL-2.0
//
// The CUSE door: a libfuse cuse_lowlevel server that creates a real
// character device (/dev/mlcore, 104:0 where free) and serves one node of
// an instance's file table through it.  Like the FUSE door it moves bytes
// and errno values and decides nothing: open, read, write and ioctl go to
// the table's OpenFile, and an ioctl's reply carries exactly the bytes the
// core wrote.
//
// CUSE ioctls are unrestricted: the kernel first asks with no argument
// bytes at all, and the server names the ranges of the caller's memory it
// needs (FUSE_IOCTL_RETRY).  The door asks for exactly the bytes the driver
// copies (the UAPI's *_LEN constants: 12, 4, 4 out, 16 for mlcore), so a
// range the driver would not touch is never touched; a command the driver
// does not know goes to the core with no memory, and its error is the
// core's.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace mlc {

class Instance;
class FileTable;

class CuseError : public std::runtime_error {
public:
	using std::runtime_error::runtime_error;
};

// A device the door can create.
struct CuseDevice {
	std::string name;		// "mlcore": /dev/mlcore, DEVNAME=mlcore
	std::string table_path;		// "dev/mlcore": the file table's node
	unsigned int major;		// wanted major, 0 = dynamic
	unsigned int minor;

	// The devices the door knows, by name; nullptr for another name.
	static const CuseDevice *find(const std::string &name);
	static std::string known_names();
};

struct CuseDoorOptions {
	bool debug = false;	// libfuse's request trace on stderr
	// Called once the kernel has created the device (instead of the
	// "is served" line on stderr).
	std::function<void()> on_ready;
};

class CuseDoor {
public:
	CuseDoor(Instance &inst, const FileTable &table, const CuseDevice &dev,
		 CuseDoorOptions opts);
	~CuseDoor();
	CuseDoor(const CuseDoor &) = delete;
	CuseDoor &operator=(const CuseDoor &) = delete;

	// Opens /dev/cuse and asks the kernel for the device; the major is the
	// wanted one unless /proc/devices shows it taken, in which case a
	// message says so and a dynamic major is used.  CuseError when /dev/cuse
	// cannot be used.
	void create();
	// Serves in this thread until the device is released or a signal
	// (SIGINT, SIGTERM, SIGHUP) arrives.
	int serve();

	struct Impl;

private:
	std::unique_ptr<Impl> impl_;
};

// The one line that says /dev/cuse cannot be used (errno err) and how to fix it.
std::string cuse_unusable_reason(int err);

// Which character-device driver holds a major in /proc/devices ("" = free).
std::string chrdev_major_owner(unsigned int major);

}  // namespace mlc
