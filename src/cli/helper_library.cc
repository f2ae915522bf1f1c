// SPDX-License-Identifier: GPL-2.0
#include "cli/helper_library.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

namespace fs = std::filesystem;

namespace mlc::cli {

namespace {

bool readable(const fs::path &p)
{
	return !p.empty() && access(p.c_str(), R_OK) == 0;
}

}  // namespace

std::string find_helper_library(const char *name, const char *env_var,
				const char *build_subdir, const char *build_path)
{
	if (const char *env = getenv(env_var); env && *env)
		return readable(env) ? fs::absolute(env).string() : std::string();
	std::error_code ec;
	fs::path exe = fs::read_symlink("/proc/self/exe", ec);
	std::vector<fs::path> candidates;
	if (!ec) {
		fs::path dir = exe.parent_path();
		candidates = {dir / name, dir / build_subdir / name,
			      dir / ".." / "lib" / "mlcore-emu" / name,
			      dir / ".." / "lib" / name};
	}
	if (build_path && *build_path)
		candidates.emplace_back(build_path);
	for (const auto &c : candidates)
		if (readable(c))
			return fs::weakly_canonical(c, ec).string();
	return {};
}

}  // namespace mlc::cli
