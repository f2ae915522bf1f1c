/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bounds of device states read back from storage another process wrote
 * (the emulator's shared segment).  The core trusts its own states: every
 * index and count in them is kept in range by the operations.  A state
 * that was damaged or planted is checked once, before any use, so no
 * operation ever indexes out of bounds.  Each check returns NULL when the
 * state is usable, else the name of the first field out of range.
 *
 * User space only: the kernel's states never leave the module.
 */
#ifndef MLC_STATE_CHECK_H
#define MLC_STATE_CHECK_H

#include "ml_lib_model.h"
#include "ml_lib_test_dev.h"
#include "ml_loop_dev.h"
#include "mlcore_dev.h"

#ifdef __cplusplus
extern "C" {
#endif

const char *mlcore_dev_check(const struct mlcore_dev *dev);
const char *ml_lib_model_check(const struct ml_lib_model *model);
const char *ml_lib_test_dev_check(const struct ml_lib_test_dev *dev);
const char *ml_loop_sim_check(const struct ml_loop_sim *sim);
const char *ml_loop_dev_check(const struct ml_loop_dev *dev);

#ifdef __cplusplus
}
#endif

#endif /* MLC_STATE_CHECK_H */
