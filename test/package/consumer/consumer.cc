// SPDX-License-Identifier: GPL-2.0
// An SDK user outside the source tree: built against an installed
// mlcore-emu (find_package or pkg-config), run under `mlcore-emu run`.
#include <cstdio>

#include "agent/clients.hpp"
#include "uapi/mlcore.h"

int main()
{
	mlc::agent::MlcoreClient dev;	// /dev/mlcore
	dev.set_result(42);
	std::printf("major %d result %d\n", MLCORE_MAJOR, dev.get_result());
	return 0;
}
