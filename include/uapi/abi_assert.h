/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * One compile-time assertion spelling for the kernel, C11 and C++, so the
 * UAPI headers can pin every ioctl number and record size.
 */
#ifndef _UAPI_MLC_ABI_ASSERT_H
#define _UAPI_MLC_ABI_ASSERT_H

#ifdef __cplusplus
#define MLC_ABI_ASSERT(cond, what) static_assert(cond, "ABI: " what)
#else
#define MLC_ABI_ASSERT(cond, what) _Static_assert(cond, "ABI: " what)
#endif

#endif /* _UAPI_MLC_ABI_ASSERT_H */
