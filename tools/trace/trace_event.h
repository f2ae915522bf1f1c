/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The recorder's events (docs/closed-loop.md, "Recording"): what
 * libmlcore-trace.so appends, one per read that returned bytes from a
 * regular file, to the events file named by $MLCORE_TRACE_EVENTS (opened
 * O_APPEND by every process, so the events of all of them are merged in
 * the order the reads returned).  `mlcore-emu trace record` turns them
 * into a workload trace and removes the file.  Native byte order: the
 * events never leave the machine that wrote them.
 */
#ifndef MLCORE_TRACE_EVENT_H
#define MLCORE_TRACE_EVENT_H

#include <stdint.h>

#define MLCORE_TRACE_EVENTS_ENV	"MLCORE_TRACE_EVENTS"

enum mlcore_trace_kind {
	MLCORE_TRACE_READ = 1,		/* read, __read_chk */
	MLCORE_TRACE_PREAD = 2,		/* pread, pread64, __pread*_chk */
	MLCORE_TRACE_READV = 3,		/* readv */
	MLCORE_TRACE_PREADV = 4,	/* preadv, preadv64, preadv2, preadv64v2 */
	MLCORE_TRACE_FREAD = 5,		/* fread, fread_unlocked, __fread*_chk */
};

struct mlcore_trace_event {	/* 48 bytes */
	uint32_t pid;
	uint32_t kind;		/* enum mlcore_trace_kind */
	uint64_t dev;		/* st_dev of the file read */
	uint64_t ino;		/* st_ino */
	uint64_t size;		/* st_size when it was read */
	uint64_t off;		/* first byte read */
	uint64_t len;		/* bytes the call returned (> 0) */
};

#ifdef __cplusplus
static_assert(sizeof(struct mlcore_trace_event) == 48, "trace event");
#else
_Static_assert(sizeof(struct mlcore_trace_event) == 48, "trace event");
#endif

#endif /* MLCORE_TRACE_EVENT_H */
