// SPDX-License-Identifier: GPL-2.0
//
// What is at a mount point before we mount there, and cleaning up a stale
// mount left by a killed server ("Transport endpoint is not connected").
#pragma once

#include <string>

namespace mlc {

enum class MountPointState {
	Missing,	// nothing there yet (serve creates the directory)
	EmptyDir,	// ready
	NotEmpty,	// a directory with entries: refused
	NotDir,		// a file or something else: refused
	LiveMount,	// something is mounted and answering
	StaleMount,	// a FUSE mount whose server is gone (ENOTCONN)
};

MountPointState inspect_mount_point(const std::string &root);

// Whether root is currently a mount point of mlcore-emu (in mountinfo).
bool is_mlcore_mount(const std::string &root);

// Detaches whatever is mounted at root (umount2 MNT_DETACH as root,
// fusermount3 -u -z otherwise).  Returns 0 or an errno value.
int lazy_unmount(const std::string &root);

}  // namespace mlc
