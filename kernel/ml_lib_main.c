// SPDX-License-Identifier: GPL-2.0
/*
 * ml_lib (RFC v1, lib/ml-lib) built from the project's core: the model
 * library (src/core/ml_lib_model.c) as a module of its own, exporting the
 * model API and the platform seam to the subsystems that use it (here the
 * test driver, ml_lib_test_dev.ko).  It registers nothing itself; a model's
 * sysfs directory belongs to the subsystem that creates the model.
 */
#include <linux/init.h>
#include <linux/module.h>

#include "../src/core/ml_lib_model.h"

EXPORT_SYMBOL_GPL(ml_lib_model_op_name);
EXPORT_SYMBOL_GPL(ml_lib_model_op_supported);
EXPORT_SYMBOL_GPL(ml_lib_model_create);
EXPORT_SYMBOL_GPL(ml_lib_model_init);
EXPORT_SYMBOL_GPL(ml_lib_model_start);
EXPORT_SYMBOL_GPL(ml_lib_model_stop);
EXPORT_SYMBOL_GPL(ml_lib_model_destroy);
EXPORT_SYMBOL_GPL(ml_lib_model_get_dataset);
EXPORT_SYMBOL_GPL(ml_lib_model_discard_dataset);
EXPORT_SYMBOL_GPL(ml_lib_model_re_init);
EXPORT_SYMBOL_GPL(ml_lib_model_get_system_state);
EXPORT_SYMBOL_GPL(ml_lib_model_preprocess_data);
EXPORT_SYMBOL_GPL(ml_lib_model_publish_data);
EXPORT_SYMBOL_GPL(ml_lib_model_preprocess_recommendation);
EXPORT_SYMBOL_GPL(ml_lib_model_estimate_system_state);
EXPORT_SYMBOL_GPL(ml_lib_model_apply_recommendation);
EXPORT_SYMBOL_GPL(ml_lib_model_execute_operation);
EXPORT_SYMBOL_GPL(ml_lib_model_estimate_efficiency);
EXPORT_SYMBOL_GPL(ml_lib_model_error_backpropagation);
EXPORT_SYMBOL_GPL(ml_lib_model_correct_system_state);
EXPORT_SYMBOL_GPL(ml_lib_model_parse_control);
EXPORT_SYMBOL_GPL(ml_lib_model_parse_control_ext);
EXPORT_SYMBOL_GPL(ml_lib_model_control_store);
EXPORT_SYMBOL_GPL(ml_lib_model_mode_name);
EXPORT_SYMBOL_GPL(ml_lib_model_state_name);
EXPORT_SYMBOL_GPL(ml_lib_dataset_state_name);

/* The platform seam, for the core code of the modules that use ml_lib. */
EXPORT_SYMBOL_GPL(mlc_clock_realtime);
EXPORT_SYMBOL_GPL(mlc_printk);
EXPORT_SYMBOL_GPL(mlc_logfile_append);
EXPORT_SYMBOL_GPL(mlc_get_random_bytes);
EXPORT_SYMBOL_GPL(mlc_copy_from_user);
EXPORT_SYMBOL_GPL(mlc_copy_to_user);
EXPORT_SYMBOL_GPL(mlc_snprintf);

static int __init ml_lib_init(void)
{
	return 0;
}

static void __exit ml_lib_exit(void)
{
}

module_init(ml_lib_init);
module_exit(ml_lib_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ML library (RFC v1), built from the mlcore-emu core");
