/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An ml_lib model (Viacheslav Dubeyko's RFC v1, "Machine Learning (ML)
 * library in Linux kernel") as plain state and operations on it.
 *
 * The state is one flat struct with no pointers, so it can be embedded in a
 * device's state and live in a kernel module's storage or in a
 * shared-memory segment mapped at different addresses by different
 * processes.  What the RFC keeps as pointers in the model (the subsystem's
 * dataset operations and their private data) is passed at call time
 * instead: see struct ml_lib_dataset_ops.
 *
 * The RFC's API has 18 operations.  In v1 only create, init, start, stop,
 * destroy, get_dataset and discard_dataset do anything; the other eleven
 * return -EOPNOTSUPP and change nothing.  v1 checks no state transitions:
 * any operation is accepted in any state.
 *
 * The sysfs `control` attribute is split in two, as in the kernel:
 *   - kernfs/sysfs (vfs_model.h, mlc_vfs_sysfs_write()): cuts a write to
 *     one page (4096 bytes), copies it from the caller (EFAULT), and
 *     returns 0 for an empty write without calling the store;
 *   - the model (ml_lib_model_control_store() here): the library's
 *     ->store, the prefix-matching parser and the command's effect; it
 *     returns the length it was given, or -errno.
 *
 * Locking: none here; callers serialise every operation on a device.
 */
#ifndef ML_LIB_MODEL_H
#define ML_LIB_MODEL_H

#include "mlc_platform.h"
#include "../../include/uapi/ml_lib.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A model's name is its sysfs directory name; longer names are refused. */
#define ML_LIB_MODEL_NAME_MAX	64	/* including the NUL */

/* Mode of the `control` attribute: write-only, root only. */
#define ML_LIB_MODEL_CONTROL_MODE	0220

/*
 * The model's current dataset.  Only the descriptor lives in the model; the
 * bytes belong to the subsystem (the test driver's 1024-byte buffer).
 */
struct ml_lib_dataset {
	uint32_t type;		/* enum ml_lib_dataset_type */
	uint32_t state;		/* enum ml_lib_dataset_state */
	uint64_t allocated_size;	/* bytes the subsystem holds for it */
	uint64_t portion_offset;	/* first byte of the extracted portion */
	uint64_t portion_size;		/* bytes extracted */
};

struct ml_lib_model {
	char name[ML_LIB_MODEL_NAME_MAX];	/* NUL-terminated */
	uint32_t mode;		/* enum ml_lib_model_mode */
	uint32_t state;		/* enum ml_lib_model_state */
	struct ml_lib_dataset dataset;
};

/*
 * What a subsystem supplies for its datasets, passed with each call that
 * may need it (never stored in the state).  NULL ops or a NULL callback
 * mean the subsystem has none.
 */
struct ml_lib_dataset_ops {
	/*
	 * Fill the subsystem's dataset and describe it in *ds (type, sizes;
	 * the model sets the state).  Returns 0 or -errno.
	 */
	int (*extract)(void *priv, struct mlc_host *host,
		       struct ml_lib_dataset *ds);
};

/* The commands of `control`, in the order the parser tries them. */
enum ml_lib_control_cmd {
	ML_LIB_CONTROL_START = 0,
	ML_LIB_CONTROL_STOP = 1,
	ML_LIB_CONTROL_PREPARE_DATASET = 2,
	ML_LIB_CONTROL_DISCARD_DATASET = 3,
	ML_LIB_CONTROL_CMD_MAX,		/* v1's commands end here */
	/*
	 * The closed loop's extension (docs/closed-loop.md), tried after the
	 * four v1 commands by ml_lib_model_parse_control_ext() only: v1's
	 * parser and store never see them.
	 */
	ML_LIB_CONTROL_STEP = ML_LIB_CONTROL_CMD_MAX,
	ML_LIB_CONTROL_RESET,
	ML_LIB_CONTROL_EXT_CMD_MAX
};

/* The extension's command words (not v1 ABI: see ml_loop_dev.h). */
#define ML_LIB_CMD_STEP		"step"
#define ML_LIB_CMD_RESET	"reset"

/* The 18 operations of the RFC's API, for traces and dispatch tables. */
enum ml_lib_model_op {
	ML_LIB_OP_CREATE = 0,
	ML_LIB_OP_INIT,
	ML_LIB_OP_RE_INIT,
	ML_LIB_OP_START,
	ML_LIB_OP_STOP,
	ML_LIB_OP_DESTROY,
	ML_LIB_OP_GET_SYSTEM_STATE,
	ML_LIB_OP_GET_DATASET,
	ML_LIB_OP_DISCARD_DATASET,
	ML_LIB_OP_PREPROCESS_DATA,
	ML_LIB_OP_PUBLISH_DATA,
	ML_LIB_OP_PREPROCESS_RECOMMENDATION,
	ML_LIB_OP_ESTIMATE_SYSTEM_STATE,
	ML_LIB_OP_APPLY_RECOMMENDATION,
	ML_LIB_OP_EXECUTE_OPERATION,
	ML_LIB_OP_ESTIMATE_EFFICIENCY,
	ML_LIB_OP_ERROR_BACKPROPAGATION,
	ML_LIB_OP_CORRECT_SYSTEM_STATE,
	ML_LIB_OP_MAX
};

/* The RFC's name of an operation ("create", ...), or NULL. */
const char *ml_lib_model_op_name(unsigned int op);
/* Whether v1 implements it (7 of 18 do). */
bool ml_lib_model_op_supported(unsigned int op);

/* --- lifecycle -------------------------------------------------------- */

/*
 * Mode EMERGENCY, state CREATED, an empty ALLOCATED dataset.  -EINVAL for
 * an empty name, -ENAMETOOLONG when it does not fit (model untouched).
 */
int ml_lib_model_create(struct ml_lib_model *model, struct mlc_host *host,
			const char *name);
/* state := INITIALIZED. */
int ml_lib_model_init(struct ml_lib_model *model, struct mlc_host *host);
/* state := STARTED; error log `ml_lib: TODO: implement start ML model`. */
int ml_lib_model_start(struct ml_lib_model *model, struct mlc_host *host);
/* state := STOPPED; error log `ml_lib: TODO: implement stop ML model`. */
int ml_lib_model_stop(struct ml_lib_model *model, struct mlc_host *host);
/* state := SHUTTING_DOWN; the dataset is dropped (UNKNOWN, sizes 0). */
int ml_lib_model_destroy(struct ml_lib_model *model, struct mlc_host *host);

/*
 * prepare_dataset: state := RUNNING; a CLEAN, EXTRACTED_PARTIALLY or
 * EXTRACTED_COMPLETELY dataset is kept as it is (0); otherwise the
 * subsystem's extract runs and a new CLEAN dataset replaces the old one.
 * -EOPNOTSUPP without an extract callback, the callback's -errno if it
 * fails (dataset then EXTRACTION_FAILURE).
 */
int ml_lib_model_get_dataset(struct ml_lib_model *model, struct mlc_host *host,
			     const struct ml_lib_dataset_ops *ops, void *priv);
/* The dataset becomes OBSOLETE (type and sizes kept): next get extracts. */
int ml_lib_model_discard_dataset(struct ml_lib_model *model,
				 struct mlc_host *host);

/* --- the eleven operations v1 leaves unimplemented: -EOPNOTSUPP ------- */

int ml_lib_model_re_init(struct ml_lib_model *model, struct mlc_host *host);
int ml_lib_model_get_system_state(struct ml_lib_model *model,
				  struct mlc_host *host);
int ml_lib_model_preprocess_data(struct ml_lib_model *model,
				 struct mlc_host *host);
int ml_lib_model_publish_data(struct ml_lib_model *model,
			      struct mlc_host *host);
int ml_lib_model_preprocess_recommendation(struct ml_lib_model *model,
					   struct mlc_host *host);
int ml_lib_model_estimate_system_state(struct ml_lib_model *model,
				       struct mlc_host *host);
int ml_lib_model_apply_recommendation(struct ml_lib_model *model,
				      struct mlc_host *host);
int ml_lib_model_execute_operation(struct ml_lib_model *model,
				   struct mlc_host *host);
int ml_lib_model_estimate_efficiency(struct ml_lib_model *model,
				     struct mlc_host *host);
int ml_lib_model_error_backpropagation(struct ml_lib_model *model,
				       struct mlc_host *host);
int ml_lib_model_correct_system_state(struct ml_lib_model *model,
				      struct mlc_host *host);

/* --- sysfs `control` -------------------------------------------------- */

/*
 * The parser alone: command i matches when the first min(count,
 * strlen(cmd_i)) bytes of buf agree with it, trying start, stop,
 * prepare_dataset, discard_dataset in that order.  Returns the
 * enum ml_lib_control_cmd, or -EOPNOTSUPP.  count == 0 matches start (the
 * sysfs layer never passes an empty write down).
 */
int ml_lib_model_parse_control(const char *buf, size_t count);

/*
 * The same parser over the v1 commands and then the extension's (step,
 * reset), with the same prefix rule: v1 commands keep their precedence,
 * so "s" is still start and "st" still start; "ste", "step 5\n" are step,
 * "r", "reset\n" reset.  Returns the enum ml_lib_control_cmd, or
 * -EOPNOTSUPP.  A command's argument ("step N") is the caller's to parse.
 */
int ml_lib_model_parse_control_ext(const char *buf, size_t count);

/*
 * The `control` store (the library's ->store): parse buf, run the command,
 * return count on success or -errno (-EOPNOTSUPP for no match).  buf holds
 * count bytes (at most one page, as the sysfs layer guarantees); it need
 * not be NUL-terminated.  ops/priv are the subsystem's dataset operations
 * for prepare_dataset.
 */
long ml_lib_model_control_store(struct ml_lib_model *model,
				struct mlc_host *host,
				const struct ml_lib_dataset_ops *ops,
				void *priv, const char *buf, size_t count);

/* Readable names for traces; NULL when out of range. */
const char *ml_lib_model_mode_name(unsigned int mode);
const char *ml_lib_model_state_name(unsigned int state);
const char *ml_lib_dataset_state_name(unsigned int state);

#ifdef __cplusplus
}
#endif

#endif /* ML_LIB_MODEL_H */
