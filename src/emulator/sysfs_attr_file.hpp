// SPDX-License-Identifier: GPL-2.0
//
// A sysfs attribute (kernfs, Linux 6.1): reads go through the seq_file
// model with the attribute's show(), writes through the page-cut store of
// the VFS model; the inode's size is one page, which lseek uses.  Opening
// checks the attribute's own mode even for root (kernfs_fop_open).
#pragma once

#include <memory>
#include <string>

#include "emulator/device.hpp"
#include "emulator/file_table.hpp"

namespace mlc {

// What an attribute shows: one of the core's renderers over one device's
// state (the ml_lib test driver's or the closed loop's), run under the lock.
class SysfsShow {
public:
	SysfsShow(Device::MllibRenderFn fn) : mllib_(fn) {}
	SysfsShow(Device::MlloopRenderFn fn) : mlloop_(fn) {}
	size_t operator()(Device &dev, char *buf, size_t size) const
	{
		return mllib_ ? dev.render_mllib(mllib_, buf, size)
			      : dev.render_mlloop(mlloop_, buf, size);
	}

private:
	Device::MllibRenderFn mllib_ = nullptr;
	Device::MlloopRenderFn mlloop_ = nullptr;
};

class SysfsAttrNode final : public Node {
public:
	// Store: Device's write entry for this attribute (null: read-only).
	using StoreFn = long (Device::*)(mlc_uptr src, size_t count, UserMemory &mem);

	SysfsAttrNode(std::string path, mode_t perm, SysfsShow show,
		      StoreFn store)
		: Node(std::move(path), NodeType::Regular, perm), show_(show), store_(store)
	{
	}
	bool generated() const override { return true; }
	int64_t size() const override;
	std::unique_ptr<OpenFile> open(Instance &inst, int flags, const Cred &cred,
				       int *err) const override;

private:
	SysfsShow show_;
	StoreFn store_;
};

// A write-only sysfs binary attribute of size 0 (kernfs with
// sysfs_bin_kfops_wo): opening it for reading is EACCES even for root,
// writes go through the bin-attribute store of the VFS model with their
// file position (no NUL, no page cut beyond one chunk).
class SysfsBinAttrNode final : public Node {
public:
	using StoreFn = long (Device::*)(mlc_uptr src, size_t count, int64_t pos,
					 UserMemory &mem);

	SysfsBinAttrNode(std::string path, mode_t perm, StoreFn store)
		: Node(std::move(path), NodeType::Regular, perm), store_(store)
	{
	}
	bool generated() const override { return true; }
	int64_t size() const override { return 0; }
	std::unique_ptr<OpenFile> open(Instance &inst, int flags, const Cred &cred,
				       int *err) const override;

private:
	StoreFn store_;
};

}  // namespace mlc
