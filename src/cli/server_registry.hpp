// SPDX-License-Identifier: GPL-2.0
//
// Which processes serve which instance where: one file per server in the
// instance's state directory (servers/<pid>, holding the mount root), so
// `stop`, `status` and `list` can find them.  Entries of dead processes are
// ignored and swept.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace mlc {

struct ServerEntry {
	pid_t pid;
	std::string instance;
	std::string root;
};

void register_server(const std::string &instance, const std::string &root);
void unregister_server(const std::string &instance);
// Live servers of one instance, or of every instance of this user.
std::vector<ServerEntry> live_servers(const std::string &instance);
std::vector<ServerEntry> all_live_servers();
// Running and not a zombie.
bool server_alive(pid_t pid);

}  // namespace mlc
