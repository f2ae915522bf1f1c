# SPDX-License-Identifier: GPL-2.0
"""The numbers of include/uapi/ (mlcore.h, ml_lib.h, ml_loop.h), as Python
constants.  test/python/test_uapi.py compares every one with the headers,
so a typo fails a test."""

# --- mlcore.h --------------------------------------------------------------
MLCORE_MAJOR = 104
MLCORE_HISTORY_SIZE = 10
MLCORE_MAX_TRAINING_ENTRIES = 50
MLCORE_NUM_FEATURES = 3

IOCTL_SEND_INTS = 0x400C6800       # _IOW(104, 0, int[3])
IOCTL_SET_RESULT = 0x40046801      # _IOW(104, 1, int)
IOCTL_GET_RESULT = 0x80086802      # _IOR(104, 2, int *): size 8, copies 4
IOCTL_ADD_TRAINING = 0x40106803    # _IOW(104, 3, struct train_entry)
IOCTL_CLEAR_TRAINING = 0x00006804  # _IO(104, 4)
MLCORE_GET_RESULT_LEN = 4

# --- ml_lib.h ---------------------------------------------------------------
ML_LIB_TEST_BUFFER_SIZE = 1024
ML_LIB_TEST_IOCRESET = 0x00004D00    # _IO('M', 0)
ML_LIB_TEST_IOCGETSIZE = 0x80044D01  # _IOR('M', 1, int)
ML_LIB_TEST_IOCSETSIZE = 0x40044D02  # _IOW('M', 2, int)

ML_LIB_CMD_START = "start"
ML_LIB_CMD_STOP = "stop"
ML_LIB_CMD_PREPARE_DATASET = "prepare_dataset"
ML_LIB_CMD_DISCARD_DATASET = "discard_dataset"

# enum ml_lib_model_mode and enum ml_lib_model_state, by value.
MODE_NAMES = ("unknown", "emergency", "learning", "collaboration", "recommendation")
STATE_NAMES = ("unknown", "created", "initialized", "started", "running",
               "stopped", "shutting_down")
ML_LIB_EMERGENCY_MODE = 1
ML_LIB_LEARNING_MODE = 2
ML_LIB_COLLABORATION_MODE = 3
ML_LIB_RECOMMENDATION_MODE = 4

# --- ml_loop.h ----------------------------------------------------------------
ML_LOOP_RECORD_MAGIC = 0x4D4C4F50  # "MLOP"
ML_LOOP_RECORD_SIZE = 64
ML_LOOP_REC_DATASET = 1
ML_LOOP_REC_FEEDBACK = 2
ML_LOOP_REC_RECOMMENDATION = 3
ML_LOOP_MAX_WINDOW = 256
ML_LOOP_NO_WINDOW = 0xFFFFFFFF
ML_LOOP_COST_MISS = 20
ML_LOOP_COST_PAGE = 1
ML_LOOP_IOCPENDING = 0x80044C01    # _IOR('L', 1, __u32)

# Closed loop v2 (/work/wt/FORMATS-v2.md, binding): POLICY records.
ML_LOOP_REC_POLICY = 4
ML_LOOP_POLICY_MAX_NODES = 255
ML_LOOP_POLICY_MAX_DEPTH = 16
ML_LOOP_POLICY_NODES_PER_REC = 5
ML_LOOP_POLICY_LEAF = 0xFF
ML_LOOP_POLICY_WINDOW = 0xFFFFFFFE  # FEEDBACK's recommended_window for a policy
ML_LOOP_F_SEQ_PERMILLE = 0
ML_LOOP_F_MEAN_RUN_X100 = 1
ML_LOOP_F_DISTINCT_PERMILLE = 2
ML_LOOP_F_DEFAULT_WINDOW = 3
ML_LOOP_F_RUN_LENGTH = 4
ML_LOOP_F_COUNT = 5

# The windows an agent may recommend: 0, 1, 2, 4, ..., 256 (the hindsight
# best is always one of them).
WINDOWS = (0,) + tuple(1 << i for i in range(9))

# ROOT-relative paths of the profiles (clients.hpp).
MLCORE_DEV = "dev/mlcore"
MLCORE_RESULT = "proc/mlcore_result"
MLCORE_TRAIN = "proc/mlcore_train"
ML_LIB_DEV = "dev/mllibdev"
ML_LIB_PROC = "proc/mllibdev"
ML_LIB_CLASS_DEV = "sys/class/ml_lib_test/mllibdev"
ML_LIB_CONTROL = "sys/class/ml_lib_test/mllibdev/ml_model1/control"
ML_LOOP_DEV = "dev/mlloop"
ML_LOOP_MODEL = "sys/class/ml_lib_loop/mlloop/ml_readahead"
