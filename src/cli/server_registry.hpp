// SPDX-License-Identifier: GPL-2.0
//
// Which processes serve which instance where: one file per server in the
// instance's state directory (servers/<pid>, holding the mount root), so
// `stop`, `status`, `list` and `rm` can find them.  Entries of dead
// processes are ignored and swept.  A CUSE daemon's entry holds its device
// path, then "cuse", then the root it was served with (maybe empty).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace mlc {

struct ServerEntry {
	pid_t pid;
	std::string instance;
	std::string root;		// mount root, or /dev/NAME for a CUSE daemon
	bool cuse = false;
	std::string with_root;		// CUSE: the root served along with it

	// "ROOT (pid N)" or "/dev/mlcore (CUSE, pid N)".
	std::string describe() const;
};

void register_server(const std::string &instance, const std::string &root);
// Records a CUSE daemon (another process) serving device_path.
void register_cuse_server(const std::string &instance, pid_t pid,
			  const std::string &device_path, const std::string &with_root);
void unregister_server(const std::string &instance);
// Live servers of one instance, or of every instance of this user.
std::vector<ServerEntry> live_servers(const std::string &instance);
std::vector<ServerEntry> all_live_servers();
// Running and not a zombie.
bool server_alive(pid_t pid);

}  // namespace mlc
