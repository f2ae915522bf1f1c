// SPDX-License-Identifier: GPL-2.0
//
// The FUSE door: a libfuse low-level server that mounts an instance's file
// table at a root directory (ROOT/dev/mlcore, ROOT/proc/..., ROOT/dmesg).
// It moves bytes and errno values between the kernel and the table and
// decides nothing itself.  One thread serves every request, so no request
// is handed across threads (a cross-CPU wake-up costs more than the work).
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

struct fuse_session;

namespace mlc {

class Instance;
class FileTable;

class DoorError : public std::runtime_error {
public:
	using std::runtime_error::runtime_error;
};

struct FuseDoorOptions {
	bool allow_other = false;	// let other users in (needs user_allow_other)
	bool debug = false;		// libfuse's request trace on stderr
};

class FuseDoor {
public:
	FuseDoor(Instance &inst, const FileTable &table, FuseDoorOptions opts);
	~FuseDoor();
	FuseDoor(const FuseDoor &) = delete;
	FuseDoor &operator=(const FuseDoor &) = delete;

	// Mounts at root (which must be an empty directory).  DoorError with
	// the reason and the fix when it cannot.
	void mount(const std::string &root);
	// Serves until unmounted or until SIGINT/SIGTERM/SIGHUP; then unmounts.
	int serve();

	struct Impl;

private:
	std::unique_ptr<Impl> impl_;
};

}  // namespace mlc
