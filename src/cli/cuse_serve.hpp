// SPDX-License-Identifier: GPL-2.0
//
// `mlcore-emu serve --cuse`: real character devices (/dev/mlcore,
// /dev/mllibdev, /dev/mlloop) served by CUSE daemons (cuse_dev/,
// mlcore-cuse), one per device, launched and recorded here.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace mlc::cli {

// Throws DoorError with one line saying why /dev/cuse cannot be used and
// how to fix it (modprobe cuse, root).
void check_cuse_usable();

// $MLCORE_EMU_CUSE, else next to this binary (build or install tree), else
// its build path; DoorError when there is none.
std::string find_cuse_daemon();

// The daemons of one `serve --cuse`.  Until release(), the destructor
// stops every daemon started, so a failure later leaves no device behind.
class CuseDevices {
public:
	CuseDevices() = default;
	~CuseDevices();
	CuseDevices(const CuseDevices &) = delete;
	CuseDevices &operator=(const CuseDevices &) = delete;

	// Launches a daemon per device for instance and waits until the kernel
	// has created each (or throws DoorError with the daemon's reason);
	// records each in the server registry with with_root.
	void start(const std::string &daemon, const std::string &instance,
		   const std::string &with_root, bool debug);
	// Stops every daemon started (SIGTERM, then SIGKILL after 5 s).
	void stop();
	// The daemons keep running after this object is gone.
	void release() { pids_.clear(); }
	const std::vector<pid_t> &pids() const { return pids_; }
	const std::vector<std::string> &devices() const { return devices_; }

private:
	std::vector<pid_t> pids_;
	std::vector<std::string> devices_;
};

// Ends a server process by pid: SIGTERM, then SIGKILL after 5 s.
void end_server(pid_t pid);

}  // namespace mlc::cli
