// SPDX-License-Identifier: GPL-2.0
//
// The UAPI headers from C++20: the same compile-time checks as from C,
// plus what C++ users rely on (standard layout, trivially copyable, the
// exact member types, numbers usable as constexpr and as case labels).
// Prints nothing.
#include "uapi/mlcore.h"
#include "uapi/ml_lib.h"

#include "uapi_expect.h"

#include <cstdint>
#include <cstring>
#include <type_traits>

static_assert(std::is_standard_layout_v<train_entry>);
static_assert(std::is_trivially_copyable_v<train_entry>);
static_assert(std::is_trivial_v<train_entry>);
static_assert(std::is_same_v<__s32, std::int32_t>);
static_assert(std::is_same_v<decltype(train_entry::label), __s32>);
static_assert(std::is_same_v<decltype(train_entry::features), __s32[3]>);
// Unsigned, and within the kernel's unsigned int cmd.  (The type itself is
// unsigned long for numbers with a size, unsigned int for _IO ones.)
static_assert(std::is_unsigned_v<decltype(IOCTL_SEND_INTS)>);
static_assert(std::is_unsigned_v<decltype(IOCTL_CLEAR_TRAINING)>);
static_assert(std::is_unsigned_v<decltype(ML_LIB_TEST_IOCGETSIZE)>);
static_assert(IOCTL_GET_RESULT <= UINT32_MAX);

// Designated initialisers in declaration order (C++20).
constexpr train_entry kEntry = {.features = {100, -250, 3}, .label = 1};
static_assert(kEntry.features[1] == -250 && kEntry.label == 1);

// Each number usable as a case label, and all of them distinct.
constexpr int which(unsigned int cmd)
{
	switch (cmd) {
	case IOCTL_SEND_INTS: return 0;
	case IOCTL_SET_RESULT: return 1;
	case IOCTL_GET_RESULT: return 2;
	case IOCTL_ADD_TRAINING: return 3;
	case IOCTL_CLEAR_TRAINING: return 4;
	case ML_LIB_TEST_IOCRESET: return 5;
	case ML_LIB_TEST_IOCGETSIZE: return 6;
	case ML_LIB_TEST_IOCSETSIZE: return 7;
	default: return -1;
	}
}
static_assert(which(0x40106803u) == 3 && which(0x6800u) == -1);

// The strings, which C++ can check at compile time.
constexpr bool same(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}
static_assert(same(MLCORE_DEVICE_NAME, "mlcore"));
static_assert(same(MLCORE_PROC_RESULT, "mlcore_result"));
static_assert(same(MLCORE_PROC_TRAIN, "mlcore_train"));
static_assert(same(MLCORE_LOG_FILE_PATH, "/var/log/mlcore.log"));
static_assert(same(ML_LIB_TEST_DEVICE_NAME, "mllibdev"));
static_assert(same(ML_LIB_CMD_PREPARE_DATASET, "prepare_dataset"));

int main()
{
	return uapi_expect_strings(std::strcmp) ? 1 : 0;
}
