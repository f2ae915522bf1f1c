// SPDX-License-Identifier: GPL-2.0
/*
 * ml_lib model behaviour, as the RFC v1 library shows it through a model's
 * sysfs `control` attribute; see ml_lib_model.h for the split between the
 * sysfs layer and the model.
 *
 * Differences from the library are structural: the model is a flat struct
 * (no kobject, no ops pointers), and the subsystem's dataset operations are
 * passed at call time.
 */
#include "ml_lib_model.h"

static const char *const ml_lib_op_names[ML_LIB_OP_MAX] = {
	[ML_LIB_OP_CREATE] = "create",
	[ML_LIB_OP_INIT] = "init",
	[ML_LIB_OP_RE_INIT] = "re_init",
	[ML_LIB_OP_START] = "start",
	[ML_LIB_OP_STOP] = "stop",
	[ML_LIB_OP_DESTROY] = "destroy",
	[ML_LIB_OP_GET_SYSTEM_STATE] = "get_system_state",
	[ML_LIB_OP_GET_DATASET] = "get_dataset",
	[ML_LIB_OP_DISCARD_DATASET] = "discard_dataset",
	[ML_LIB_OP_PREPROCESS_DATA] = "preprocess_data",
	[ML_LIB_OP_PUBLISH_DATA] = "publish_data",
	[ML_LIB_OP_PREPROCESS_RECOMMENDATION] = "preprocess_recommendation",
	[ML_LIB_OP_ESTIMATE_SYSTEM_STATE] = "estimate_system_state",
	[ML_LIB_OP_APPLY_RECOMMENDATION] = "apply_recommendation",
	[ML_LIB_OP_EXECUTE_OPERATION] = "execute_operation",
	[ML_LIB_OP_ESTIMATE_EFFICIENCY] = "estimate_efficiency",
	[ML_LIB_OP_ERROR_BACKPROPAGATION] = "error_backpropagation",
	[ML_LIB_OP_CORRECT_SYSTEM_STATE] = "correct_system_state",
};

const char *ml_lib_model_op_name(unsigned int op)
{
	return op < ML_LIB_OP_MAX ? ml_lib_op_names[op] : NULL;
}

bool ml_lib_model_op_supported(unsigned int op)
{
	switch (op) {
	case ML_LIB_OP_CREATE:
	case ML_LIB_OP_INIT:
	case ML_LIB_OP_START:
	case ML_LIB_OP_STOP:
	case ML_LIB_OP_DESTROY:
	case ML_LIB_OP_GET_DATASET:
	case ML_LIB_OP_DISCARD_DATASET:
		return true;
	default:
		return false;
	}
}

/* --- lifecycle -------------------------------------------------------- */

int ml_lib_model_create(struct ml_lib_model *model, struct mlc_host *host,
			const char *name)
{
	size_t len;

	if (!name || !name[0])
		return -EINVAL;
	len = mlc_strlen(name);
	if (len >= sizeof(model->name))
		return -ENAMETOOLONG;

	mlc_memset(model, 0, sizeof(*model));
	mlc_memcpy(model->name, name, len);
	model->mode = ML_LIB_EMERGENCY_MODE;
	model->state = ML_LIB_MODEL_CREATED;
	model->dataset.type = ML_LIB_EMPTY_DATASET;
	model->dataset.state = ML_LIB_DATASET_ALLOCATED;
	return 0;
}

int ml_lib_model_init(struct ml_lib_model *model, struct mlc_host *host)
{
	model->state = ML_LIB_MODEL_INITIALIZED;
	return 0;
}

int ml_lib_model_start(struct ml_lib_model *model, struct mlc_host *host)
{
	model->state = ML_LIB_MODEL_STARTED;
	mlc_printk(host, MLC_KERN_ERR, "ml_lib: TODO: implement start ML model\n");
	return 0;
}

int ml_lib_model_stop(struct ml_lib_model *model, struct mlc_host *host)
{
	model->state = ML_LIB_MODEL_STOPPED;
	mlc_printk(host, MLC_KERN_ERR, "ml_lib: TODO: implement stop ML model\n");
	return 0;
}

int ml_lib_model_destroy(struct ml_lib_model *model, struct mlc_host *host)
{
	model->state = ML_LIB_MODEL_SHUTTING_DOWN;
	mlc_memset(&model->dataset, 0, sizeof(model->dataset));
	return 0;
}

/* A dataset in one of these states is current: prepare keeps it. */
static bool ml_lib_dataset_is_current(const struct ml_lib_dataset *ds)
{
	switch (ds->state) {
	case ML_LIB_DATASET_CLEAN:
	case ML_LIB_DATASET_EXTRACTED_PARTIALLY:
	case ML_LIB_DATASET_EXTRACTED_COMPLETELY:
		return true;
	default:
		return false;
	}
}

int ml_lib_model_get_dataset(struct ml_lib_model *model, struct mlc_host *host,
			     const struct ml_lib_dataset_ops *ops, void *priv)
{
	struct ml_lib_dataset fresh;
	int err;

	model->state = ML_LIB_MODEL_RUNNING;

	if (ml_lib_dataset_is_current(&model->dataset))
		return 0;

	if (!ops || !ops->extract)
		return -EOPNOTSUPP;

	mlc_memset(&fresh, 0, sizeof(fresh));
	fresh.type = ML_LIB_EMPTY_DATASET;
	fresh.state = ML_LIB_DATASET_ALLOCATED;
	err = ops->extract(priv, host, &fresh);
	if (err) {
		model->dataset.state = ML_LIB_DATASET_EXTRACTION_FAILURE;
		return err;
	}

	/* The new dataset replaces the old one whole. */
	fresh.state = ML_LIB_DATASET_CLEAN;
	model->dataset = fresh;
	return 0;
}

int ml_lib_model_discard_dataset(struct ml_lib_model *model,
				 struct mlc_host *host)
{
	struct ml_lib_dataset obsolete = model->dataset;

	obsolete.state = ML_LIB_DATASET_OBSOLETE;
	model->dataset = obsolete;
	return 0;
}

/* --- the operations v1 leaves unimplemented --------------------------- */

#define ML_LIB_MODEL_NOT_SUPPORTED(op)					\
int ml_lib_model_##op(struct ml_lib_model *model, struct mlc_host *host) \
{									\
	return -EOPNOTSUPP;						\
}

ML_LIB_MODEL_NOT_SUPPORTED(re_init)
ML_LIB_MODEL_NOT_SUPPORTED(get_system_state)
ML_LIB_MODEL_NOT_SUPPORTED(preprocess_data)
ML_LIB_MODEL_NOT_SUPPORTED(publish_data)
ML_LIB_MODEL_NOT_SUPPORTED(preprocess_recommendation)
ML_LIB_MODEL_NOT_SUPPORTED(estimate_system_state)
ML_LIB_MODEL_NOT_SUPPORTED(apply_recommendation)
ML_LIB_MODEL_NOT_SUPPORTED(execute_operation)
ML_LIB_MODEL_NOT_SUPPORTED(estimate_efficiency)
ML_LIB_MODEL_NOT_SUPPORTED(error_backpropagation)
ML_LIB_MODEL_NOT_SUPPORTED(correct_system_state)

/* --- sysfs `control` -------------------------------------------------- */

static const char *const ml_lib_control_cmds[ML_LIB_CONTROL_EXT_CMD_MAX] = {
	[ML_LIB_CONTROL_START] = ML_LIB_CMD_START,
	[ML_LIB_CONTROL_STOP] = ML_LIB_CMD_STOP,
	[ML_LIB_CONTROL_PREPARE_DATASET] = ML_LIB_CMD_PREPARE_DATASET,
	[ML_LIB_CONTROL_DISCARD_DATASET] = ML_LIB_CMD_DISCARD_DATASET,
	/* The closed loop's extension: only the _ext parser tries these. */
	[ML_LIB_CONTROL_STEP] = ML_LIB_CMD_STEP,
	[ML_LIB_CONTROL_RESET] = ML_LIB_CMD_RESET,
};

/*
 * Bug-compatible with the library: the comparison length is the shorter of
 * the write and the command, so a prefix of a command ("s", "p") selects
 * it, and anything after a full command ("start\n", "startstop") is
 * ignored.  No command contains a NUL, so comparing bytes is the same as
 * the library's string comparison over that length.
 */
static bool ml_lib_control_matches(const char *buf, size_t count,
				   const char *cmd)
{
	size_t n = mlc_strlen(cmd);
	size_t i;

	if (count < n)
		n = count;
	for (i = 0; i < n; i++) {
		if (buf[i] != cmd[i])
			return false;
	}
	return true;
}

/* The first of commands 0..ncmds-1 that matches, or -EOPNOTSUPP. */
static int ml_lib_parse_control_upto(const char *buf, size_t count, int ncmds)
{
	int i;

	for (i = 0; i < ncmds; i++) {
		if (ml_lib_control_matches(buf, count, ml_lib_control_cmds[i]))
			return i;
	}
	return -EOPNOTSUPP;
}

int ml_lib_model_parse_control(const char *buf, size_t count)
{
	return ml_lib_parse_control_upto(buf, count, ML_LIB_CONTROL_CMD_MAX);
}

int ml_lib_model_parse_control_ext(const char *buf, size_t count)
{
	return ml_lib_parse_control_upto(buf, count, ML_LIB_CONTROL_EXT_CMD_MAX);
}

long ml_lib_model_control_store(struct ml_lib_model *model,
				struct mlc_host *host,
				const struct ml_lib_dataset_ops *ops,
				void *priv, const char *buf, size_t count)
{
	int cmd = ml_lib_model_parse_control(buf, count);
	int err;

	switch (cmd) {
	case ML_LIB_CONTROL_START:
		err = ml_lib_model_start(model, host);
		break;
	case ML_LIB_CONTROL_STOP:
		err = ml_lib_model_stop(model, host);
		break;
	case ML_LIB_CONTROL_PREPARE_DATASET:
		err = ml_lib_model_get_dataset(model, host, ops, priv);
		break;
	case ML_LIB_CONTROL_DISCARD_DATASET:
		err = ml_lib_model_discard_dataset(model, host);
		break;
	default:
		return cmd;	/* -EOPNOTSUPP */
	}
	if (err)
		return err;
	return (long)count;
}

/* --- names ------------------------------------------------------------ */

const char *ml_lib_model_mode_name(unsigned int mode)
{
	static const char *const names[ML_LIB_MODE_MAX] = {
		[ML_LIB_UNKNOWN_MODE] = "unknown",
		[ML_LIB_EMERGENCY_MODE] = "emergency",
		[ML_LIB_LEARNING_MODE] = "learning",
		[ML_LIB_COLLABORATION_MODE] = "collaboration",
		[ML_LIB_RECOMMENDATION_MODE] = "recommendation",
	};

	return mode < ML_LIB_MODE_MAX ? names[mode] : NULL;
}

const char *ml_lib_model_state_name(unsigned int state)
{
	static const char *const names[ML_LIB_MODEL_STATE_MAX] = {
		[ML_LIB_UNKNOWN_MODEL_STATE] = "unknown",
		[ML_LIB_MODEL_CREATED] = "created",
		[ML_LIB_MODEL_INITIALIZED] = "initialized",
		[ML_LIB_MODEL_STARTED] = "started",
		[ML_LIB_MODEL_RUNNING] = "running",
		[ML_LIB_MODEL_STOPPED] = "stopped",
		[ML_LIB_MODEL_SHUTTING_DOWN] = "shutting_down",
	};

	return state < ML_LIB_MODEL_STATE_MAX ? names[state] : NULL;
}

const char *ml_lib_dataset_state_name(unsigned int state)
{
	static const char *const names[ML_LIB_DATASET_STATE_MAX] = {
		[ML_LIB_UNKNOWN_DATASET_STATE] = "unknown",
		[ML_LIB_DATASET_ALLOCATED] = "allocated",
		[ML_LIB_DATASET_CLEAN] = "clean",
		[ML_LIB_DATASET_EXTRACTED_PARTIALLY] = "extracted_partially",
		[ML_LIB_DATASET_EXTRACTED_COMPLETELY] = "extracted_completely",
		[ML_LIB_DATASET_OBSOLETE] = "obsolete",
		[ML_LIB_DATASET_EXTRACTION_FAILURE] = "extraction_failure",
		[ML_LIB_DATASET_CORRUPTED] = "corrupted",
	};

	return state < ML_LIB_DATASET_STATE_MAX ? names[state] : NULL;
}
