// SPDX-License-Identifier: GPL-2.0
//
// The file table: every served path, its type and mode, and no way out of
// the table by traversal.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "emulator/file_table.hpp"

namespace {

using mlc::FileTable;
using mlc::NodeType;

TEST(FileTable, ServesExactlyTheSpecPaths)
{
	const FileTable &t = FileTable::standard();
	struct Want {
		const char *path;
		mode_t mode;
	};
	for (Want w : {Want{"dev/mlcore", S_IFCHR | 0666},
		       Want{"proc/mlcore_result", S_IFREG | 0444},
		       Want{"proc/mlcore_train", S_IFREG | 0444},
		       Want{"var/log/mlcore.log", S_IFREG | 0444},
		       Want{"dmesg", S_IFREG | 0444},
		       Want{"proc", S_IFDIR | 0555},
		       Want{"dev/mllibdev", S_IFCHR | 0600},
		       Want{"proc/mllibdev", S_IFREG | 0444},
		       Want{"sys/class/ml_lib_test/mllibdev/buffer_size", S_IFREG | 0444},
		       Want{"sys/class/ml_lib_test/mllibdev/data_size", S_IFREG | 0444},
		       Want{"sys/class/ml_lib_test/mllibdev/access_count", S_IFREG | 0444},
		       Want{"sys/class/ml_lib_test/mllibdev/stats", S_IFREG | 0444},
		       Want{"sys/class/ml_lib_test/mllibdev/dev", S_IFREG | 0444},
		       Want{"sys/class/ml_lib_test/mllibdev/ml_model1", S_IFDIR | 0755},
		       Want{"sys/class/ml_lib_test/mllibdev/ml_model1/control", S_IFREG | 0220},
		       Want{"sys/kernel", S_IFDIR | 0755}}) {
		auto ino = t.resolve(w.path);
		ASSERT_TRUE(ino) << w.path;
		EXPECT_EQ(t.node(*ino)->mode(), w.mode) << w.path;
	}
	const mlc::Node *dev = t.node(*t.resolve("dev/mlcore"));
	EXPECT_EQ(major(dev->rdev()), 104u);
	EXPECT_EQ(minor(dev->rdev()), 0u);
}

TEST(FileTable, NoTraversalAndUnknownPathsDoNotResolve)
{
	const FileTable &t = FileTable::standard();
	for (const char *p : {"../etc/passwd", "proc/../dev/mlcore", "dev/./mlcore",
			      "proc/nope", "dev/mlcore/x", "etc"})
		EXPECT_FALSE(t.resolve(p)) << p;
	EXPECT_EQ(t.resolve(""), FileTable::kRootIno);
	EXPECT_FALSE(t.lookup(*t.resolve("dev/mlcore"), "x"));
}

TEST(FileTable, DirectoryListingsAreConsistentWithLookup)
{
	const FileTable &t = FileTable::standard();
	for (FileTable::Ino ino = 1; ino <= t.size(); ino++) {
		if (t.node(ino)->type() != NodeType::Directory)
			continue;
		for (FileTable::Ino child : t.children(ino)) {
			EXPECT_EQ(t.parent(child), ino);
			EXPECT_EQ(t.lookup(ino, t.node(child)->name()), child);
		}
	}
	std::vector<std::string> names;
	for (FileTable::Ino ino : t.children(*t.resolve("proc")))
		names.emplace_back(t.node(ino)->name());
	EXPECT_EQ(names, (std::vector<std::string>{"mlcore_result", "mlcore_train",
						   "mllibdev"}));
}

}  // namespace
