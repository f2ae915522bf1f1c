// SPDX-License-Identifier: GPL-2.0
//
// What kernfs/sysfs answer for the ml_lib files on their own (ABI.md,
// Profile 2, "sysfs control of a model", first bullet), and the sysfs write
// path around a store.
#include <gtest/gtest.h>

#include <fcntl.h>

#include <cstring>

#include "test_host.hpp"

namespace mlc_test {
namespace {

constexpr bool kRoot = true;
constexpr bool kUser = false;

struct OpenCase {
	int flags;
	unsigned int mode;
	bool root;
	int ret;
};

// ABI: control (0220) for reading: EACCES even for root; a read-only
// attribute (0444) for writing: EACCES even for root.
TEST(SysfsOpen, ControlAndReadOnlyAttributes)
{
	const unsigned int ctl = ML_LIB_MODEL_CONTROL_MODE;
	const unsigned int ro = ML_LIB_TEST_DEV_ATTR_MODE;
	ASSERT_EQ(ctl, 0220u);
	ASSERT_EQ(ro, 0444u);
	const OpenCase cases[] = {
		{O_RDONLY, ctl, kRoot, -EACCES},
		{O_RDWR, ctl, kRoot, -EACCES},
		{O_WRONLY, ctl, kRoot, 0},
		{O_WRONLY | O_TRUNC, ctl, kRoot, 0},
		{O_RDONLY, ctl, kUser, -EACCES},
		{O_WRONLY, ctl, kUser, -EACCES},	// root's only
		{O_RDONLY, ro, kRoot, 0},
		{O_RDONLY, ro, kUser, 0},
		{O_WRONLY, ro, kRoot, -EACCES},
		{O_RDWR, ro, kRoot, -EACCES},
		{O_WRONLY, ro, kUser, -EACCES},
		{O_RDWR, ro, kUser, -EACCES},
		// O_ACCMODE (3): neither read nor write on the file, but the
		// permission check asks for both (derived from the kernel).
		{O_ACCMODE, ro, kRoot, 0},
		{O_ACCMODE, ro, kUser, -EACCES},
		{O_ACCMODE, ctl, kRoot, 0},
		// A 0644 attribute: root may write, others read.
		{O_RDWR, 0644, kRoot, 0},
		{O_RDWR, 0644, kUser, -EACCES},
		{O_RDONLY, 0644, kUser, 0},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(testing::Message() << "flags " << c.flags << " mode 0"
						<< std::oct << c.mode << " root "
						<< c.root);
		EXPECT_EQ(mlc_vfs_sysfs_open_check(c.flags, c.mode, c.root),
			  c.ret);
	}
	EXPECT_EQ(ML_LIB_TEST_DEV_PROC_MODE, 0444);
}

// The sysfs write path around any store: cut, copy, NUL, empty check.
struct StoreSpy {
	int calls = 0;
	size_t count = 0;
	std::string seen;
	long ret = 0;
	static long store(void *priv, mlc_host *, const char *buf, size_t count)
	{
		auto *s = static_cast<StoreSpy *>(priv);
		s->calls++;
		s->count = count;
		s->seen.assign(buf, count + 1);	// including the NUL
		return s->ret ? s->ret : (long)count;
	}
};

TEST(SysfsWrite, CutsCopiesTerminatesAndSkipsEmpty)
{
	TestHost h(5000);
	char page[MLC_SYSFS_PAGE_SIZE + 1];
	StoreSpy spy;

	h.poke(0, "abc");
	EXPECT_EQ(mlc_vfs_sysfs_write(h.get(), h.addr(0), 3, page,
				      StoreSpy::store, &spy), 3);
	EXPECT_EQ(spy.calls, 1);
	EXPECT_EQ(spy.seen, std::string("abc\0", 4));

	EXPECT_EQ(mlc_vfs_sysfs_write(h.get(), h.addr(0), 0, page,
				      StoreSpy::store, &spy), 0);
	EXPECT_EQ(spy.calls, 1);		// not called

	EXPECT_EQ(mlc_vfs_sysfs_write(h.get(), h.addr(0), 5000, page,
				      StoreSpy::store, &spy), 4096);
	EXPECT_EQ(spy.count, 4096u);
	EXPECT_EQ(spy.seen.back(), '\0');

	EXPECT_EQ(mlc_vfs_sysfs_write(h.get(), h.addr(4990), 20, page,
				      StoreSpy::store, &spy), -EFAULT);
	EXPECT_EQ(spy.calls, 2);

	spy.ret = -EOPNOTSUPP;
	EXPECT_EQ(mlc_vfs_sysfs_write(h.get(), h.addr(0), 3, page,
				      StoreSpy::store, &spy), -EOPNOTSUPP);
}

}  // namespace
}  // namespace mlc_test
