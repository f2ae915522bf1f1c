// SPDX-License-Identifier: GPL-2.0
//
// The open file of a descriptor that has no driver file: a served
// directory (/sys/class/ml_lib_test) or anything opened with O_PATH.
//
// Like gVisor's DirectoryFileDescriptionDefaultImpl, each is one object
// whose every operation answers what the kernel's VFS answers for such a
// description, and every answer is the core's (src/core/vfs_model.h): the
// door calls the object and returns what it says.  Neither keeps state but a
// directory's position,
// touches the caller's memory or needs the instance, so the door calls them
// at once, before its locks and copies.
#pragma once

#include <memory>

#include "emulator/file_table.hpp"

namespace mlc::preload {

// The object of a description opened with open_flags on a node that is a
// directory, or opened with O_PATH; null for a node with a driver file
// (Node::open() makes that one).
std::unique_ptr<OpenFile> open_fileless(const Node &node, int open_flags);

} // namespace mlc::preload
