/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The closed learning loop: this project's own extension of the ml_lib RFC
 * (docs/closed-loop.md).  A simulated kernel subsystem (readahead sizing)
 * publishes dataset and feedback records on /dev/mlloop, user space writes
 * recommendation records back, and the subsystem applies them according to
 * the model's mode.  No ml_lib v1 byte changes: this is a separate device.
 *
 * Every record is little-endian (as the machine is), fixed size, with a
 * magic and a type so a reader can resynchronise and a writer's mistakes are
 * refused with EINVAL, never misread.
 */
#ifndef _UAPI_ML_LOOP_H
#define _UAPI_ML_LOOP_H

#include <linux/ioctl.h>
#include <linux/types.h>

#include "abi_assert.h"

#define ML_LOOP_DEVICE_NAME	"mlloop"
#define ML_LOOP_CLASS_NAME	"ml_lib_loop"
#define ML_LOOP_MODEL_NAME	"ml_readahead"

#define ML_LOOP_RECORD_MAGIC	0x4d4c4f50u	/* "MLOP" */
#define ML_LOOP_RECORD_SIZE	64

/* Record types. */
#define ML_LOOP_REC_DATASET		1	/* kernel -> user: one epoch */
#define ML_LOOP_REC_FEEDBACK		2	/* kernel -> user: the error */
#define ML_LOOP_REC_RECOMMENDATION	3	/* user -> kernel */
#define ML_LOOP_REC_POLICY		4	/* user -> kernel (v2) */

/* Readahead windows are in pages, 0 (no readahead) up to this. */
#define ML_LOOP_MAX_WINDOW	256

/* Every record starts with this header. */
struct ml_loop_header {
	__u32 magic;		/* ML_LOOP_RECORD_MAGIC */
	__u16 type;		/* ML_LOOP_REC_* */
	__u16 size;		/* ML_LOOP_RECORD_SIZE */
	__u64 epoch;		/* the epoch the record is about */
};

/*
 * DATASET: what the subsystem saw in one epoch of accesses, and the window
 * that would have been best in hindsight (the label to learn).
 */
struct ml_loop_dataset {
	struct ml_loop_header hdr;
	__u32 accesses;		/* page accesses in the epoch */
	__u32 seq_permille;	/* accesses that continued the previous one */
	__u32 mean_run_x100;	/* mean length of sequential runs, x100 */
	__u32 distinct_permille;	/* distinct pages / accesses */
	__u32 default_window;	/* the default algorithm's window at the end */
	__u32 best_window;	/* hindsight-best fixed window for the epoch */
	__u32 phase_hint;	/* 0: unknown; never the workload's truth */
	__u32 reserved[5];
};

/*
 * FEEDBACK: how the recommendation that was in force did, against the
 * default algorithm run in shadow over the same accesses.  Costs are in
 * cost units (docs/closed-loop.md: a miss costs ML_LOOP_COST_MISS, a page
 * read costs ML_LOOP_COST_PAGE).
 */
struct ml_loop_feedback {
	struct ml_loop_header hdr;
	__u32 mode;		/* enum ml_lib_model_mode during the epoch */
	__u32 applied_permille;	/* misses that used the recommendation */
	__u32 recommended_window;	/* ML_LOOP_NO_WINDOW if none */
	__u32 best_window;	/* hindsight-best window */
	__u64 cost_default;	/* the default algorithm alone (shadow) */
	__u64 cost_recommended;	/* the recommendation alone (shadow) */
	__u64 cost_actual;	/* what the subsystem really paid */
	__s32 error;		/* recommended - best (0 when none) */
	__u32 efficiency_milli;	/* 1000 * cost_default / cost_actual */
};

#define ML_LOOP_NO_WINDOW	0xffffffffu

/* RECOMMENDATION: the window to use from the next epoch on. */
struct ml_loop_recommendation {
	struct ml_loop_header hdr;	/* epoch: 0 = from the next epoch */
	__u32 window;		/* 0..ML_LOOP_MAX_WINDOW pages */
	__u32 confidence_permille;	/* informative; not used by the policy */
	__u32 reserved[10];
};

/*
 * POLICY (closed loop v2, docs/closed-loop.md "Policies"): a decision tree
 * with integer thresholds that the subsystem evaluates at each miss, over
 * features it keeps on a sliding window of recent accesses.
 */
#define ML_LOOP_POLICY_MAX_NODES	255
#define ML_LOOP_POLICY_MAX_DEPTH	16	/* nodes on a root-to-leaf path */
#define ML_LOOP_POLICY_NODES_PER_REC	5
#define ML_LOOP_POLICY_LEAF		0xff	/* node.feature of a leaf */

/* FEEDBACK's recommended_window when a policy was in force (error 0). */
#define ML_LOOP_POLICY_WINDOW		0xfffffffeu

/*
 * Features the core keeps over the last ML_LOOP_EPOCH_ACCESSES (512)
 * accesses (a sliding window), computed as the DATASET record's fields
 * are computed over an epoch, so a tree trained on DATASET records
 * applies online.  Evaluated at each miss, before the miss is served.
 */
enum ml_loop_feature {
	ML_LOOP_F_SEQ_PERMILLE = 0,	/* as dataset.seq_permille       */
	ML_LOOP_F_MEAN_RUN_X100 = 1,	/* as dataset.mean_run_x100      */
	ML_LOOP_F_DISTINCT_PERMILLE = 2,	/* as dataset.distinct_permille  */
	ML_LOOP_F_DEFAULT_WINDOW = 3,	/* the default's current window  */
	ML_LOOP_F_RUN_LENGTH = 4,	/* accesses in the current sequential
					   run, capped at 65535           */
	ML_LOOP_F_COUNT = 5
};

struct ml_loop_policy_node {		/* 8 bytes */
	__u8  feature;	/* enum ml_loop_feature, or ML_LOOP_POLICY_LEAF */
	__u8  reserved;	/* 0 */
	__u16 value;	/* inner: threshold; leaf: window 0..256 */
	__u16 left;	/* inner: child when feature <= threshold */
	__u16 right;	/* inner: child when feature >  threshold */
};			/* leaf: left = right = 0 */

struct ml_loop_policy {			/* 64 bytes */
	struct ml_loop_header hdr;	/* type ML_LOOP_REC_POLICY */
	__u16 node_count;		/* nodes in the whole policy, 1..255 */
	__u16 first_node;		/* index of nodes[0] */
	__u16 nodes_here;		/* 1..5 valid entries in nodes[] */
	__u16 reserved;			/* 0 */
	struct ml_loop_policy_node nodes[ML_LOOP_POLICY_NODES_PER_REC];
};

/* Cost model (docs/closed-loop.md). */
#define ML_LOOP_COST_MISS	20
#define ML_LOOP_COST_PAGE	1

/*
 * Workload traces (docs/closed-loop.md, "Workload traces"): a page-access
 * trace file, "MLTRACE" version 1, written by `mlcore-emu trace record` and
 * accepted by ml_readahead's write-only binary attribute `workload`.
 * A header, then run_count runs; a run is `pages` consecutive page
 * accesses first_page, first_page + 1, ...  The replay expands the runs
 * into accesses, 512 per epoch, wrapping to the first run at the end;
 * `reset` restarts it at run 0.
 */
#define ML_LOOP_TRACE_MAGIC	0x3143524d	/* "MRC1" */
#define ML_LOOP_TRACE_VERSION	1
#define ML_LOOP_TRACE_MAX_RUNS	65536
#define ML_LOOP_TRACE_MAX_FILE_PAGES	(1u << 20)
#define ML_LOOP_TRACE_MAX_RUN_PAGES	65535
/* The recorder aligns each file's extent to this many pages. */
#define ML_LOOP_TRACE_EXTENT_ALIGN	256
/* The kernel hands bin-attribute writes over in chunks of at most this. */
#define ML_LOOP_TRACE_CHUNK	4096
/* The text that returns the loop to its built-in generator. */
#define ML_LOOP_WORKLOAD_SYNTHETIC	"synthetic"

struct ml_loop_trace_header {
	__u32 magic;		/* ML_LOOP_TRACE_MAGIC */
	__u16 version;		/* ML_LOOP_TRACE_VERSION */
	__u16 header_size;	/* 32 */
	__u32 file_pages;	/* size of the simulated file, 1..2^20 pages */
	__u32 run_count;	/* runs that follow, 1..65536 */
	__u64 total_bytes;	/* 32 + 8 * run_count */
	__u32 reserved[2];	/* 0 */
};

struct ml_loop_trace_run {
	__u32 first_page;	/* < file_pages */
	__u32 pages;		/* 1..65535, first_page + pages <= file_pages */
};

MLC_ABI_ASSERT(sizeof(struct ml_loop_trace_header) == 32, "trace header");
MLC_ABI_ASSERT(sizeof(struct ml_loop_trace_run) == 8, "trace run");

/* The largest valid trace: 32 + 8 * 65536 bytes. */
#define ML_LOOP_TRACE_MAX_BYTES	(sizeof(struct ml_loop_trace_header) + \
				 ML_LOOP_TRACE_MAX_RUNS * \
				 sizeof(struct ml_loop_trace_run))

/* ioctls on /dev/mlloop (type 'L'). */
#define ML_LOOP_IOC_MAGIC	'L'
/* Number of records waiting to be read. */
#define ML_LOOP_IOCPENDING	_IOR(ML_LOOP_IOC_MAGIC, 1, __u32)

MLC_ABI_ASSERT(sizeof(struct ml_loop_header) == 16, "loop header");
MLC_ABI_ASSERT(sizeof(struct ml_loop_dataset) == ML_LOOP_RECORD_SIZE,
	       "dataset record");
MLC_ABI_ASSERT(sizeof(struct ml_loop_feedback) == ML_LOOP_RECORD_SIZE,
	       "feedback record");
MLC_ABI_ASSERT(sizeof(struct ml_loop_recommendation) == ML_LOOP_RECORD_SIZE,
	       "recommendation record");
MLC_ABI_ASSERT(sizeof(struct ml_loop_policy_node) == 8, "policy node");
MLC_ABI_ASSERT(sizeof(struct ml_loop_policy) == ML_LOOP_RECORD_SIZE,
	       "policy record");
MLC_ABI_ASSERT(ML_LOOP_IOCPENDING == 0x80044c01u, "ML_LOOP_IOCPENDING");

#endif /* _UAPI_ML_LOOP_H */
