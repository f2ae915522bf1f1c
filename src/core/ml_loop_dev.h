/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The closed loop's device (docs/closed-loop.md): the character device
 * /dev/mlloop (a queue of 64-byte records: DATASET and FEEDBACK out,
 * RECOMMENDATION in), the model ml_readahead under the class device
 * ml_lib_loop/mlloop with its sysfs attributes control, mode, state,
 * efficiency and stats, the mode policy and the simulated subsystem
 * (ml_loop_sim.h) it drives.
 *
 * The model is an ml_lib model (ml_lib_model.h): its mode and state are
 * the model's, and `control` uses the library's prefix-matching parser
 * extended with `step N` and `reset` (ml_lib_model_parse_control_ext()).
 * Nothing of ml_lib v1 changes: this is a device of its own.
 *
 * Flat state without pointers, as every core device.  The device is a
 * stream: read and write take no position; lseek is ESPIPE.
 *
 * Locking: none here; callers serialise every operation on the device.
 */
#ifndef ML_LOOP_DEV_H
#define ML_LOOP_DEV_H

#include "mlc_platform.h"
#include "mlc_ioctl_copy.h"
#include "ml_lib_model.h"
#include "ml_loop_sim.h"
#include "vfs_model.h"
#include "../../include/uapi/ml_loop.h"
#include "../../include/uapi/ml_lib.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ML_LOOP_DEV_MINOR		0
/* Records the read queue holds; a full queue drops its oldest. */
#define ML_LOOP_QUEUE_LEN		256
/* Modes of the model's read-only attributes (control is 0220). */
#define ML_LOOP_DEV_ATTR_MODE		0444
/* `step N`: N in 1..this. */
#define ML_LOOP_STEP_MAX		10000

/* The mode policy (docs/closed-loop.md, "Mode policy"), in milli-units. */
#define ML_LOOP_Q_FALLBACK_MILLI	900	/* one epoch's q below: fallback */
#define ML_LOOP_E_DEMOTE_MILLI		1000	/* e below for DEMOTE_EPOCHS */
#define ML_LOOP_DEMOTE_EPOCHS		2
#define ML_LOOP_DEAD_AGENT_EPOCHS	8	/* epochs without a write */
#define ML_LOOP_Q_MAX_MILLI		10000	/* q is capped here */
/* Promotion from EMERGENCY, LEARNING, COLLABORATION: e at or above ... */
#define ML_LOOP_E_PROMOTE1_MILLI	1020
#define ML_LOOP_E_PROMOTE2_MILLI	1050
#define ML_LOOP_E_PROMOTE3_MILLI	1080
/* ... for this many consecutive epochs. */
#define ML_LOOP_PROMOTE1_EPOCHS		3
#define ML_LOOP_PROMOTE2_EPOCHS		3
#define ML_LOOP_PROMOTE3_EPOCHS		4

/* The write-only binary attribute `workload` (docs/closed-loop.md). */
#define ML_LOOP_WORKLOAD_ATTR_MODE	0200

/*
 * The workload: a trace in force (else the built-in generator) and the
 * trace being written through `workload`, chunk by chunk.  Large (about
 * 1 MiB), so it is the device's last member and `reset` leaves it.
 */
struct ml_loop_workload_store {
	uint32_t active;		/* 1: runs[] is the workload */
	uint32_t file_pages;		/* of the trace in force */
	uint32_t run_count;		/* of the trace in force */
	uint32_t staged;		/* bytes of the trace being written */
	uint32_t stage_total;		/* its total_bytes; 0: none */
	uint32_t reserved;
	struct ml_loop_trace_run runs[ML_LOOP_TRACE_MAX_RUNS];
	uint8_t stage[ML_LOOP_TRACE_MAX_BYTES];
};

/* What the policy did at the end of an epoch. */
enum ml_loop_policy_action {
	ML_LOOP_HOLD = 0,
	ML_LOOP_PROMOTED,
	ML_LOOP_DEMOTED,
	ML_LOOP_FALLBACK_QUALITY,	/* one epoch's q < 0.900 */
	ML_LOOP_FALLBACK_DEAD_AGENT,	/* no write for 8 epochs */
};

struct ml_loop_dev {
	struct ml_lib_model model;	/* "ml_readahead": mode and state */
	struct ml_loop_sim sim;

	/* The recommendation in force (the last valid record written), or
	 * ML_LOOP_POLICY_WINDOW for the policy in sim.policy. */
	uint32_t rec_window;		/* ML_LOOP_NO_WINDOW: none */
	uint32_t rec_confidence;	/* informative */
	uint32_t epochs_since_rec;	/* epochs finished since the last write */

	/* The mode policy. */
	uint32_t quality_milli;		/* e: EWMA of q, alpha 1/4 */
	uint32_t efficiency_milli;	/* EWMA of cost_default/cost_actual */
	uint32_t high_epochs;		/* consecutive epochs e >= promote */
	uint32_t low_epochs;		/* consecutive epochs e < 1.000 */

	/* Counters (the stats attribute). */
	uint64_t epochs;
	uint64_t misses;
	uint64_t applied_misses;
	uint64_t cost_default;
	uint64_t cost_recommended;	/* over epochs with a rec in force */
	uint64_t cost_actual;
	uint64_t cost_best;		/* each epoch's hindsight-best window */
	uint64_t rec_accepted;		/* records */
	uint64_t rec_refused;		/* writes */
	uint64_t mode_changes;
	uint64_t fallbacks;
	uint64_t guard_trips;
	uint64_t records_dropped;

	/* The read queue: q_count records from q_head on, oldest first. */
	uint32_t q_head;
	uint32_t q_count;
	uint8_t queue[ML_LOOP_QUEUE_LEN][ML_LOOP_RECORD_SIZE];

	/* A policy write is checked here before it replaces sim.policy. */
	struct ml_loop_tree policy_stage;
	/* Keep last: `reset` clears everything before it. */
	struct ml_loop_workload_store workload;
};

/* Any rendering of this device fits here. */
#define ML_LOOP_DEV_RENDER_MAX	1024

/* --- lifecycle -------------------------------------------------------- */

/*
 * Module load: everything cleared, the model ml_readahead created and
 * initialised (EMERGENCY, INITIALIZED), no recommendation, e and the
 * efficiency at 1.000, and the simulation seeded with 8 bytes of
 * mlc_get_random_bytes() (repeatable when the platform's randomness is
 * seeded).  No log line.  Returns 0 or -errno.
 */
int ml_loop_dev_load(struct ml_loop_dev *dev, struct mlc_host *host);
/* Module unload: the model destroyed. */
void ml_loop_dev_unload(struct ml_loop_dev *dev, struct mlc_host *host);

/*
 * The `reset` command: the simulation restarts from the load-time seed
 * (the same trace again), the queue is emptied, the recommendation
 * withdrawn, the mode EMERGENCY, e and the efficiency 1.000, every counter
 * 0.  The model's state and dataset descriptor are kept, and so is a
 * workload trace in force (its replay restarts at run 0; a trace being
 * written is discarded).
 */
void ml_loop_dev_reset(struct ml_loop_dev *dev, struct mlc_host *host);

/* --- the data channel, /dev/mlloop -------------------------------------- */

/*
 * read(2): count < 64 is -EINVAL; otherwise as many whole waiting records
 * as fit, oldest first (0 when none wait).  A fault on the first record:
 * -EFAULT; on a later one: the bytes of the records copied before it.
 * Only copied records leave the queue.
 */
long ml_loop_dev_read(struct ml_loop_dev *dev, struct mlc_host *host,
		      mlc_uptr dst, size_t count);
/*
 * write(2) of whole RECOMMENDATION records, or of one POLICY (the records
 * of one tree; docs/closed-loop.md, "Policies"), the first record's type
 * telling which: a policy that breaks a rule is -EINVAL, nothing changes,
 * refused += 1 and a warning `ml_loop: policy refused: ...`; a valid one
 * is the recommendation in force from the next epoch (rec_window
 * ML_LOOP_POLICY_WINDOW), accepted += records.
 * For RECOMMENDATION records: a count that is not a multiple
 * of 64, a wrong magic, type or size, or a window above ML_LOOP_MAX_WINDOW
 * in any record: -EINVAL, the recommendation unchanged, refused += 1 and a
 * warning `ml_loop: recommendation refused: ...`.  -EFAULT when the
 * caller's memory faults (nothing changes).  Otherwise the last record's
 * window is in force from the next epoch on, the dead-agent count
 * restarts, accepted += records; returns count (0 for 0).
 */
long ml_loop_dev_write(struct ml_loop_dev *dev, struct mlc_host *host,
		       mlc_uptr src, size_t count);
/* --- the workload, ml_readahead's `workload` -------------------------- */

/*
 * A write of count bytes at file offset off to the binary attribute
 * `workload` (buf is the kernel's copy; docs/closed-loop.md, "The workload
 * attribute"): at most ML_LOOP_TRACE_CHUNK bytes are taken.  `synthetic`
 * (and an optional newline) at offset 0 returns to the generator; a chunk
 * at offset 0 starts a trace, each further one continues it at the staged
 * length, the one that completes it validates it and puts it in force from
 * the next epoch.  Returns the bytes taken (0 for 0), or -EINVAL with the
 * staged bytes discarded, nothing else changed and one warning
 * `ml_loop: workload refused: ...`.
 */
long ml_loop_dev_workload_write(struct ml_loop_dev *dev, struct mlc_host *host,
				const char *buf, size_t count, int64_t off);
/* The same as an mlc_sysfs_bin_store_fn (priv is the struct ml_loop_dev). */
long ml_loop_dev_workload_store(void *priv, struct mlc_host *host,
				const char *buf, size_t count, int64_t off);

/* ML_LOOP_IOCPENDING (writes the u32 number of waiting records); else
 * -ENOTTY.  -EFAULT when the caller's memory faults. */
long ml_loop_dev_ioctl(struct ml_loop_dev *dev, struct mlc_host *host,
		       unsigned int cmd, mlc_uptr arg);
/* The bytes each ioctl copies (mlc_ioctl_copy.h): 0, or -ENOTTY. */
int ml_loop_dev_ioctl_copy(unsigned int cmd, struct mlc_ioctl_copy *copy);

/* lseek(2): a stream (user-space doors only; the kernel uses no_llseek). */
static inline int64_t ml_loop_dev_llseek(void)
{
	return mlc_vfs_llseek_no_handler();
}

/* mmap(2): no handler (user-space doors only). */
static inline long ml_loop_dev_mmap(void)
{
	return mlc_vfs_mmap_no_handler();
}

/* --- the loop ----------------------------------------------------------- */

/*
 * `step N`: N epochs, each: simulate with the current mode and
 * recommendation, queue its DATASET then its FEEDBACK record, run the mode
 * policy.  -EAGAIN unless the model is STARTED or RUNNING, -EINVAL for N
 * outside 1..ML_LOOP_STEP_MAX.
 */
int ml_loop_dev_step(struct ml_loop_dev *dev, struct mlc_host *host,
		     uint32_t n);

/*
 * One epoch of a `step` (what ml_loop_dev_step() runs n times): -EAGAIN
 * unless the model is STARTED or RUNNING, else 0.
 */
int ml_loop_dev_step_epoch(struct ml_loop_dev *dev, struct mlc_host *host);

/*
 * The mode policy at the end of an epoch (exposed for tests): has_rec
 * whether a recommendation was in force during it, q_milli its quality
 * (1000 * cost_default / cost_recommended).  Updates e, the counters and
 * the mode, logs mode changes; returns the enum ml_loop_policy_action.
 */
int ml_loop_dev_policy(struct ml_loop_dev *dev, struct mlc_host *host,
		       bool has_rec, uint32_t q_milli);

/* 1000 * num / den, capped at ML_LOOP_Q_MAX_MILLI; 1000 when both are 0. */
uint32_t ml_loop_ratio_milli(uint64_t num, uint64_t den);

/* --- sysfs -------------------------------------------------------------- */

/* The subsystem's dataset operations (prepare_dataset describes the
 * records waiting in the queue). */
extern const struct ml_lib_dataset_ops ml_loop_dev_dataset_ops;

/*
 * The store of ml_readahead's `control` (priv is the struct ml_loop_dev),
 * an mlc_sysfs_store_fn for mlc_vfs_sysfs_write(): start, stop,
 * prepare_dataset, discard_dataset, `step N`, reset.  Returns count or
 * -errno (-EOPNOTSUPP for no command, -EINVAL for a bad `step` argument,
 * -EAGAIN for `step` on a model that is not started).
 */
long ml_loop_dev_control_store(void *priv, struct mlc_host *host,
			       const char *buf, size_t count);

/*
 * The same store with `step N` left to its caller, so the caller can drop
 * its lock between two epochs (an mlc_sysfs_store_fn; priv is a struct
 * ml_loop_control).  Every other command as above; `step N` is parsed and
 * checked (-EINVAL, -EAGAIN as above) but not run: ctl->steps = N and
 * count is returned, and the caller runs ml_loop_dev_step_epoch() N times
 * (stopping at its first error).  ctl->steps is 0 for any other command.
 */
struct ml_loop_control {
	struct ml_loop_dev *dev;
	uint32_t steps;
};
long ml_loop_dev_control_store_deferred(void *priv, struct mlc_host *host,
					const char *buf, size_t count);

/*
 * Renderings into buf (NUL-terminated when size > 0); each returns the
 * full length of its text, like snprintf.
 */
size_t ml_loop_dev_show_mode(const struct ml_loop_dev *dev, char *buf,
			     size_t size);
size_t ml_loop_dev_show_state(const struct ml_loop_dev *dev, char *buf,
			      size_t size);
size_t ml_loop_dev_show_efficiency(const struct ml_loop_dev *dev, char *buf,
				   size_t size);
size_t ml_loop_dev_show_stats(const struct ml_loop_dev *dev, char *buf,
			      size_t size);
/* The class device's `dev` attribute, "MAJ:MIN\n". */
size_t ml_loop_dev_show_dev(unsigned int major, char *buf, size_t size);

/*
 * Copies into dst every field the renderings above read (the model and
 * the counters, not the simulation or the queue's records; the rest of dst
 * is left as it is), so a caller can render from a copy taken without the
 * device's lock.  A renderer that reads a new field must be matched here
 * (test/unit_ml_loop checks every renderer against it).
 */
void ml_loop_dev_copy_shown(struct ml_loop_dev *dst,
			    const struct ml_loop_dev *src);

#ifdef __cplusplus
}
#endif

#endif /* ML_LOOP_DEV_H */
