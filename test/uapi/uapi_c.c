/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The UAPI headers from C (gnu11, the project's C mode): both included
 * (twice, for the include guards), every size, offset and number checked
 * again at compile time, the strings at run time.  Prints nothing.
 */
#include "uapi/mlcore.h"
#include "uapi/ml_lib.h"
#include "uapi/mlcore.h"
#include "uapi/ml_lib.h"

#include "uapi_expect.h"

#include <string.h>

/* C only: the members have exactly the kernel's __s32 type. */
extern struct train_entry uapi_c_entry;
MLC_ABI_ASSERT(_Generic(uapi_c_entry.label, __s32: 1, default: 0),
	       "test: label is __s32");
MLC_ABI_ASSERT(_Generic(uapi_c_entry.features[0], __s32: 1, default: 0),
	       "test: features are __s32");
/*
 * The numbers are unsigned and fit the kernel's unsigned int cmd; their type
 * is unsigned long when a size is encoded (_IOC_TYPECHECK is a sizeof), as
 * in the kernel itself.
 */
MLC_ABI_ASSERT(_Generic(IOCTL_SEND_INTS, unsigned long: 1, default: 0) &&
		       _Generic(IOCTL_CLEAR_TRAINING, unsigned int: 1,
				default: 0),
	       "test: ioctl number types");
MLC_ABI_ASSERT(IOCTL_GET_RESULT <= 0xFFFFFFFFu &&
		       ML_LIB_TEST_IOCGETSIZE <= 0xFFFFFFFFu,
	       "test: ioctl numbers fit 32 bits");

int main(void)
{
	struct train_entry e = { { 1, 2, 3 }, 4 };

	/* The layout at run time too: label right after the features. */
	if ((char *)&e.label - (char *)&e != 12 || e.features[2] != 3)
		return 1;
	return uapi_expect_strings(strcmp) ? 1 : 0;
}
