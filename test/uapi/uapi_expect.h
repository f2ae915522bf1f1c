/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the UAPI headers must say, checked once more at compile time from
 * every language mode the project builds them in (C gnu11, strict C gnu11,
 * C++20).  Independent of the headers' own MLC_ABI_ASSERT lines: those pin
 * the ioctl numbers; this file also pins what they leave out (every enum
 * value, the decoded fields of each number, the record layout, the sizes).
 *
 * Include after <uapi/mlcore.h> and <uapi/ml_lib.h> and before any libc
 * header: it first checks that the UAPI headers pulled in no libc header
 * (a kernel UAPI header may include only other UAPI headers).
 *
 * Failure messages start with "ABI: test: " (the headers' own start with
 * "ABI: " and name the value), so the typo proof can tell which check
 * fired.
 */
#ifndef UAPI_EXPECT_H
#define UAPI_EXPECT_H

#if !defined(_UAPI_MLCORE_H) || !defined(_UAPI_ML_LIB_H)
#error "include both UAPI headers first"
#endif

/* Only UAPI headers so far: nothing from libc may have come along. */
#if defined(offsetof) || defined(NULL) || defined(INT32_MAX) || \
	defined(EOF) || defined(_STDINT_H) || defined(_STDLIB_H) || \
	defined(_SYS_IOCTL_H) || defined(_STDDEF_H)
#error "a UAPI header pulled in a libc header"
#endif

#ifdef __cplusplus
#include <cstddef>
#define UAPI_ALIGNOF(t) alignof(t)
#else
#include <stddef.h>
#define UAPI_ALIGNOF(t) _Alignof(t)
#endif

#define UAPI_EXPECT(cond, what) MLC_ABI_ASSERT(cond, "test: " what)

/* --- the type the records are made of --- */
UAPI_EXPECT(sizeof(__s32) == 4, "__s32 is 4 bytes");
UAPI_EXPECT((__s32)-1 < 0, "__s32 is signed");

/* --- struct train_entry: 3 features then the label, no padding --- */
UAPI_EXPECT(MLCORE_NUM_FEATURES == 3, "MLCORE_NUM_FEATURES");
UAPI_EXPECT(sizeof(struct train_entry) == 16, "sizeof train_entry");
UAPI_EXPECT(UAPI_ALIGNOF(struct train_entry) == 4, "alignof train_entry");
UAPI_EXPECT(offsetof(struct train_entry, features) == 0,
	    "offsetof features");
UAPI_EXPECT(offsetof(struct train_entry, label) == 12, "offsetof label");
UAPI_EXPECT(sizeof(((struct train_entry *)0)->features) == 12,
	    "sizeof features");
UAPI_EXPECT(sizeof(((struct train_entry *)0)->label) == 4, "sizeof label");

/* --- mlcore constants --- */
UAPI_EXPECT(MLCORE_MAJOR == 104 && MLCORE_MAJOR == 'h', "MLCORE_MAJOR");
UAPI_EXPECT(MLCORE_HISTORY_SIZE == 10, "MLCORE_HISTORY_SIZE");
UAPI_EXPECT(MLCORE_MAX_TRAINING_ENTRIES == 50, "MLCORE_MAX_TRAINING_ENTRIES");
UAPI_EXPECT(sizeof(MLCORE_DEVICE_NAME) == sizeof("mlcore"),
	    "MLCORE_DEVICE_NAME length");
UAPI_EXPECT(sizeof(MLCORE_PROC_RESULT) == sizeof("mlcore_result"),
	    "MLCORE_PROC_RESULT length");
UAPI_EXPECT(sizeof(MLCORE_PROC_TRAIN) == sizeof("mlcore_train"),
	    "MLCORE_PROC_TRAIN length");
UAPI_EXPECT(sizeof(MLCORE_LOG_FILE_PATH) == sizeof("/var/log/mlcore.log"),
	    "MLCORE_LOG_FILE_PATH length");

/* --- mlcore ioctl numbers, whole and field by field --- */
#define UAPI_EXPECT_IOC(cmd, number, dir, type, nr, size)		\
	UAPI_EXPECT((cmd) == (number), #cmd " number");			\
	UAPI_EXPECT(_IOC_DIR(cmd) == (dir), #cmd " direction");		\
	UAPI_EXPECT(_IOC_TYPE(cmd) == (type), #cmd " type");		\
	UAPI_EXPECT(_IOC_NR(cmd) == (nr), #cmd " nr");			\
	UAPI_EXPECT(_IOC_SIZE(cmd) == (size), #cmd " size")

UAPI_EXPECT_IOC(IOCTL_SEND_INTS, 0x400C6800u, _IOC_WRITE, 104, 0, 12);
UAPI_EXPECT_IOC(IOCTL_SET_RESULT, 0x40046801u, _IOC_WRITE, 104, 1, 4);
UAPI_EXPECT_IOC(IOCTL_GET_RESULT, 0x80086802u, _IOC_READ, 104, 2, 8);
UAPI_EXPECT_IOC(IOCTL_ADD_TRAINING, 0x40106803u, _IOC_WRITE, 104, 3, 16);
UAPI_EXPECT_IOC(IOCTL_CLEAR_TRAINING, 0x00006804u, _IOC_NONE, 104, 4, 0);

/* What each command really copies: _IOC_SIZE except GET_RESULT (4 of 8). */
UAPI_EXPECT(MLCORE_SEND_INTS_LEN == _IOC_SIZE(IOCTL_SEND_INTS),
	    "SEND_INTS copies its _IOC_SIZE");
UAPI_EXPECT(MLCORE_SET_RESULT_LEN == _IOC_SIZE(IOCTL_SET_RESULT),
	    "SET_RESULT copies its _IOC_SIZE");
UAPI_EXPECT(MLCORE_GET_RESULT_LEN == 4 &&
		    _IOC_SIZE(IOCTL_GET_RESULT) == 8,
	    "GET_RESULT copies 4 bytes though its number says 8");
UAPI_EXPECT(MLCORE_ADD_TRAINING_LEN == _IOC_SIZE(IOCTL_ADD_TRAINING),
	    "ADD_TRAINING copies its _IOC_SIZE");
/* The documentation's 0x6800 is _IO(104, 0), not SEND_INTS. */
UAPI_EXPECT(_IO(MLCORE_MAJOR, 0) == 0x6800u &&
		    _IO(MLCORE_MAJOR, 0) != IOCTL_SEND_INTS,
	    "0x6800 is not SEND_INTS");

/* --- ml_lib test driver --- */
UAPI_EXPECT(ML_LIB_TEST_IOC_MAGIC == 'M' && ML_LIB_TEST_IOC_MAGIC == 0x4D,
	    "ML_LIB_TEST_IOC_MAGIC");
UAPI_EXPECT_IOC(ML_LIB_TEST_IOCRESET, 0x00004D00u, _IOC_NONE, 'M', 0, 0);
UAPI_EXPECT_IOC(ML_LIB_TEST_IOCGETSIZE, 0x80044D01u, _IOC_READ, 'M', 1, 4);
UAPI_EXPECT_IOC(ML_LIB_TEST_IOCSETSIZE, 0x40044D02u, _IOC_WRITE, 'M', 2, 4);
UAPI_EXPECT(ML_LIB_TEST_BUFFER_SIZE == 1024, "ML_LIB_TEST_BUFFER_SIZE");
UAPI_EXPECT(sizeof(ML_LIB_TEST_DEVICE_NAME) == sizeof("mllibdev"),
	    "ML_LIB_TEST_DEVICE_NAME length");

/* --- ml_lib enums, every value --- */
UAPI_EXPECT(ML_LIB_UNKNOWN_MODE == 0, "ML_LIB_UNKNOWN_MODE");
UAPI_EXPECT(ML_LIB_EMERGENCY_MODE == 1, "ML_LIB_EMERGENCY_MODE");
UAPI_EXPECT(ML_LIB_LEARNING_MODE == 2, "ML_LIB_LEARNING_MODE");
UAPI_EXPECT(ML_LIB_COLLABORATION_MODE == 3, "ML_LIB_COLLABORATION_MODE");
UAPI_EXPECT(ML_LIB_RECOMMENDATION_MODE == 4, "ML_LIB_RECOMMENDATION_MODE");
UAPI_EXPECT(ML_LIB_MODE_MAX == 5, "ML_LIB_MODE_MAX");

UAPI_EXPECT(ML_LIB_UNKNOWN_MODEL_STATE == 0, "ML_LIB_UNKNOWN_MODEL_STATE");
UAPI_EXPECT(ML_LIB_MODEL_CREATED == 1, "ML_LIB_MODEL_CREATED");
UAPI_EXPECT(ML_LIB_MODEL_INITIALIZED == 2, "ML_LIB_MODEL_INITIALIZED");
UAPI_EXPECT(ML_LIB_MODEL_STARTED == 3, "ML_LIB_MODEL_STARTED");
UAPI_EXPECT(ML_LIB_MODEL_RUNNING == 4, "ML_LIB_MODEL_RUNNING");
UAPI_EXPECT(ML_LIB_MODEL_STOPPED == 5, "ML_LIB_MODEL_STOPPED");
UAPI_EXPECT(ML_LIB_MODEL_SHUTTING_DOWN == 6, "ML_LIB_MODEL_SHUTTING_DOWN");
UAPI_EXPECT(ML_LIB_MODEL_STATE_MAX == 7, "ML_LIB_MODEL_STATE_MAX");

UAPI_EXPECT(ML_LIB_UNKNOWN_DATASET_TYPE == 0, "ML_LIB_UNKNOWN_DATASET_TYPE");
UAPI_EXPECT(ML_LIB_EMPTY_DATASET == 1, "ML_LIB_EMPTY_DATASET");
UAPI_EXPECT(ML_LIB_VALUE_DATASET == 2, "ML_LIB_VALUE_DATASET");
UAPI_EXPECT(ML_LIB_STRUCTURE_DATASET == 3, "ML_LIB_STRUCTURE_DATASET");
UAPI_EXPECT(ML_LIB_MEMORY_STREAM_DATASET == 4,
	    "ML_LIB_MEMORY_STREAM_DATASET");
UAPI_EXPECT(ML_LIB_DATASET_TYPE_MAX == 5, "ML_LIB_DATASET_TYPE_MAX");

UAPI_EXPECT(ML_LIB_UNKNOWN_DATASET_STATE == 0,
	    "ML_LIB_UNKNOWN_DATASET_STATE");
UAPI_EXPECT(ML_LIB_DATASET_ALLOCATED == 1, "ML_LIB_DATASET_ALLOCATED");
UAPI_EXPECT(ML_LIB_DATASET_CLEAN == 2, "ML_LIB_DATASET_CLEAN");
UAPI_EXPECT(ML_LIB_DATASET_EXTRACTED_PARTIALLY == 3,
	    "ML_LIB_DATASET_EXTRACTED_PARTIALLY");
UAPI_EXPECT(ML_LIB_DATASET_EXTRACTED_COMPLETELY == 4,
	    "ML_LIB_DATASET_EXTRACTED_COMPLETELY");
UAPI_EXPECT(ML_LIB_DATASET_OBSOLETE == 5, "ML_LIB_DATASET_OBSOLETE");
UAPI_EXPECT(ML_LIB_DATASET_EXTRACTION_FAILURE == 6,
	    "ML_LIB_DATASET_EXTRACTION_FAILURE");
UAPI_EXPECT(ML_LIB_DATASET_CORRUPTED == 7, "ML_LIB_DATASET_CORRUPTED");
UAPI_EXPECT(ML_LIB_DATASET_STATE_MAX == 8, "ML_LIB_DATASET_STATE_MAX");

/* Enums are int-sized in C and in C++ alike (no -fshort-enums drift). */
UAPI_EXPECT(sizeof(enum ml_lib_model_mode) == sizeof(int) &&
		    sizeof(enum ml_lib_model_state) == sizeof(int) &&
		    sizeof(enum ml_lib_dataset_type) == sizeof(int) &&
		    sizeof(enum ml_lib_dataset_state) == sizeof(int),
	    "enums are int-sized");

/*
 * The strings, at run time (a string's bytes are no constant expression
 * in C).  Returns the number of mismatches; prints nothing.
 */
static inline int uapi_expect_strings(int (*cmp)(const char *, const char *))
{
	int bad = 0;

	bad += cmp(MLCORE_DEVICE_NAME, "mlcore") != 0;
	bad += cmp(MLCORE_PROC_RESULT, "mlcore_result") != 0;
	bad += cmp(MLCORE_PROC_TRAIN, "mlcore_train") != 0;
	bad += cmp(MLCORE_LOG_FILE_PATH, "/var/log/mlcore.log") != 0;
	bad += cmp(ML_LIB_TEST_DEVICE_NAME, "mllibdev") != 0;
	bad += cmp(ML_LIB_TEST_CLASS_NAME, "ml_lib_test") != 0;
	bad += cmp(ML_LIB_TEST_MODEL_NAME, "ml_model1") != 0;
	bad += cmp(ML_LIB_CMD_START, "start") != 0;
	bad += cmp(ML_LIB_CMD_STOP, "stop") != 0;
	bad += cmp(ML_LIB_CMD_PREPARE_DATASET, "prepare_dataset") != 0;
	bad += cmp(ML_LIB_CMD_DISCARD_DATASET, "discard_dataset") != 0;
	return bad;
}

#endif /* UAPI_EXPECT_H */
