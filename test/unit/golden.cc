// SPDX-License-Identifier: GPL-2.0
#include "golden.hpp"

#include <cstdlib>
#include <filesystem>

#include "mlcore_test_support.hpp"

#ifndef MLC_GOLDEN_DIR
#error "MLC_GOLDEN_DIR must name test/golden"
#endif

namespace mlc::test {

namespace {

bool updating()
{
	const char *v = std::getenv("MLC_UPDATE_GOLDEN");
	return v && std::string_view(v) == "1";
}

std::string printable(std::string_view s)
{
	std::string out;
	for (char c : s) {
		if (c == '\n')
			out += "\\n";
		else
			out += c;
	}
	return out;
}

}  // namespace

std::string golden_path(std::string_view name)
{
	return std::string(MLC_GOLDEN_DIR) + "/" + std::string(name);
}

::testing::AssertionResult MatchesGolden(std::string_view name,
					 const std::string &actual)
{
	const std::string path = golden_path(name);
	if (updating()) {
		std::filesystem::create_directories(
			std::filesystem::path(path).parent_path());
		write_file(path, actual);
		return ::testing::AssertionSuccess() << "updated " << path;
	}
	std::optional<std::string> expected = read_file(path);
	if (!expected)
		return ::testing::AssertionFailure()
		       << "missing golden file " << path
		       << " (MLC_UPDATE_GOLDEN=1 creates it)";
	if (*expected == actual)
		return ::testing::AssertionSuccess();

	size_t at = 0;
	while (at < expected->size() && at < actual.size() &&
	       (*expected)[at] == actual[at])
		at++;
	const size_t from = at < 20 ? 0 : at - 20;
	return ::testing::AssertionFailure()
	       << path << ": differs at byte " << at << " (expected "
	       << expected->size() << " bytes, got " << actual.size()
	       << ")\n  expected: ..."
	       << printable(std::string_view(*expected).substr(from, 60))
	       << "\n  actual:   ..."
	       << printable(std::string_view(actual).substr(from, 60));
}

}  // namespace mlc::test
