/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ml_lib user ABI: the enums of Viacheslav Dubeyko's "Machine Learning (ML)
 * library in Linux kernel" RFC v1 (February 2026) and the ioctls of its test
 * driver (lib/ml-lib/test_driver/ml_lib_char_dev.c, /dev/mllibdev).
 *
 * Usable from the kernel, from C and from C++.  Numbers are pinned at
 * compile time.
 */
#ifndef _UAPI_ML_LIB_H
#define _UAPI_ML_LIB_H

#include <linux/ioctl.h>
#include <linux/types.h>

#include "abi_assert.h"

/* Model operating modes: how much of the ML recommendation is applied. */
enum ml_lib_model_mode {
	ML_LIB_UNKNOWN_MODE = 0,
	ML_LIB_EMERGENCY_MODE = 1,	/* default algorithm only */
	ML_LIB_LEARNING_MODE = 2,	/* check recommendations, feed errors back */
	ML_LIB_COLLABORATION_MODE = 3,	/* about half the operations use ML */
	ML_LIB_RECOMMENDATION_MODE = 4,	/* ML may replace the default */
	ML_LIB_MODE_MAX
};

enum ml_lib_model_state {
	ML_LIB_UNKNOWN_MODEL_STATE = 0,
	ML_LIB_MODEL_CREATED = 1,
	ML_LIB_MODEL_INITIALIZED = 2,
	ML_LIB_MODEL_STARTED = 3,
	ML_LIB_MODEL_RUNNING = 4,
	ML_LIB_MODEL_STOPPED = 5,
	ML_LIB_MODEL_SHUTTING_DOWN = 6,
	ML_LIB_MODEL_STATE_MAX
};

enum ml_lib_dataset_type {
	ML_LIB_UNKNOWN_DATASET_TYPE = 0,
	ML_LIB_EMPTY_DATASET = 1,
	ML_LIB_VALUE_DATASET = 2,
	ML_LIB_STRUCTURE_DATASET = 3,
	ML_LIB_MEMORY_STREAM_DATASET = 4,
	ML_LIB_DATASET_TYPE_MAX
};

enum ml_lib_dataset_state {
	ML_LIB_UNKNOWN_DATASET_STATE = 0,
	ML_LIB_DATASET_ALLOCATED = 1,
	ML_LIB_DATASET_CLEAN = 2,
	ML_LIB_DATASET_EXTRACTED_PARTIALLY = 3,
	ML_LIB_DATASET_EXTRACTED_COMPLETELY = 4,
	ML_LIB_DATASET_OBSOLETE = 5,
	ML_LIB_DATASET_EXTRACTION_FAILURE = 6,
	ML_LIB_DATASET_CORRUPTED = 7,
	ML_LIB_DATASET_STATE_MAX
};

/* The test driver's names. */
#define ML_LIB_TEST_DEVICE_NAME	"mllibdev"
#define ML_LIB_TEST_CLASS_NAME	"ml_lib_test"
#define ML_LIB_TEST_MODEL_NAME	"ml_model1"
#define ML_LIB_TEST_BUFFER_SIZE	1024

/* The model's sysfs control commands, in the order the parser tries them. */
#define ML_LIB_CMD_START		"start"
#define ML_LIB_CMD_STOP			"stop"
#define ML_LIB_CMD_PREPARE_DATASET	"prepare_dataset"
#define ML_LIB_CMD_DISCARD_DATASET	"discard_dataset"

#define ML_LIB_TEST_IOC_MAGIC	'M'
#define ML_LIB_TEST_IOCRESET	_IO(ML_LIB_TEST_IOC_MAGIC, 0)
#define ML_LIB_TEST_IOCGETSIZE	_IOR(ML_LIB_TEST_IOC_MAGIC, 1, int)
#define ML_LIB_TEST_IOCSETSIZE	_IOW(ML_LIB_TEST_IOC_MAGIC, 2, int)

MLC_ABI_ASSERT(ML_LIB_TEST_IOCRESET == 0x00004D00u, "IOCRESET");
MLC_ABI_ASSERT(ML_LIB_TEST_IOCGETSIZE == 0x80044D01u, "IOCGETSIZE");
MLC_ABI_ASSERT(ML_LIB_TEST_IOCSETSIZE == 0x40044D02u, "IOCSETSIZE");
MLC_ABI_ASSERT(ML_LIB_EMERGENCY_MODE == 1 && ML_LIB_RECOMMENDATION_MODE == 4,
	       "model modes");
MLC_ABI_ASSERT(ML_LIB_MODEL_SHUTTING_DOWN == 6, "model states");
MLC_ABI_ASSERT(ML_LIB_MEMORY_STREAM_DATASET == 4, "dataset types");
MLC_ABI_ASSERT(ML_LIB_DATASET_CORRUPTED == 7, "dataset states");

#endif /* _UAPI_ML_LIB_H */
