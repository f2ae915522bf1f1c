/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The typo proof's TU (compiled as C and as C++ by typo_fails_build.cmake,
 * never by the build itself).
 *
 * As it is, it must compile: it includes the UAPI headers and the test's
 * own checks.  With -DMLC_TYPO it also claims a wrong number through
 * MLC_ABI_ASSERT and must not compile.  Compiled against a copy of the
 * headers with one number changed, it must not compile either.
 */
#include "uapi/mlcore.h"
#include "uapi/ml_lib.h"

#include "uapi_expect.h"

#ifdef MLC_TYPO
/* The tempting misreading: GET_RESULT as _IOR(104, 2, int). */
MLC_ABI_ASSERT(IOCTL_GET_RESULT == 0x80046802u, "typo: GET_RESULT");
#endif

int main(void)
{
	return 0;
}
