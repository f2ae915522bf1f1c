/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The UAPI headers under -std=gnu11 -Wall -Wextra -Werror -Wpedantic: no
 * warning of any kind may come out of them.  ml_lib.h first this time, so
 * each header is shown to stand on its own in both orders.
 */
#include "uapi/ml_lib.h"
#include "uapi/mlcore.h"

#include "uapi_expect.h"

#include <string.h>

int main(void)
{
	return uapi_expect_strings(strcmp) ? 1 : 0;
}
