// SPDX-License-Identifier: GPL-2.0
/*
 * The closed loop's device (docs/closed-loop.md) built from the project's
 * core (src/core/ml_loop_dev.c and ml_loop_sim.c, with ml_lib.ko for the
 * model).  Everything the device decides is in the core; this file
 * registers what the emulator serves (src/emulator/ml_loop_files.cc) and
 * serialises every core call under one mutex (a `step N` is N holds of it,
 * one per epoch):
 *   - /dev/mlloop: a dynamic major, minor 0, with open, release, read,
 *     write, unlocked_ioctl and no_llseek (a stream: lseek is ESPIPE);
 *   - the class ml_lib_loop and its device mlloop (the driver core gives it
 *     its `dev` attribute);
 *   - the model ml_readahead under the device, with the write-only
 *     `control` (0220), the write-only binary attribute `workload` (0200,
 *     a trace: docs/closed-loop.md) and the read-only mode, state,
 *     efficiency and stats.
 *
 * The simulation's seed: 8 random bytes at load, as in the emulator, or the
 * module parameter `seed` (non-zero) as the simulation's seed itself, so a
 * run is repeatable (the QEMU harness gives the seed an emulator instance
 * derives from its --seed; see test/qemu/run-agents.sh).
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/fs.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/vmalloc.h>

#include "../src/core/ml_loop_dev.h"

static ulong seed;
module_param(seed, ulong, 0444);
MODULE_PARM_DESC(seed, "the simulation's seed (0: 8 random bytes at load)");

static DEFINE_MUTEX(loop_lock);
static struct ml_loop_dev *loop;	/* large: vmalloc'ed at load */

static dev_t loop_devt;
static struct cdev loop_cdev;
static struct class *loop_class;
static struct device *loop_device;
static struct kobject *loop_model_kobj;

/* --- /dev/mlloop --------------------------------------------------------- */

static int loop_open(struct inode *inode, struct file *file)
{
	return nonseekable_open(inode, file);
}

static int loop_release(struct inode *inode, struct file *file)
{
	return 0;
}

static ssize_t loop_read(struct file *file, char __user *buf, size_t count,
			 loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&loop_lock);
	ret = ml_loop_dev_read(loop, NULL, (mlc_uptr)buf, count);
	mutex_unlock(&loop_lock);
	return ret;
}

static ssize_t loop_write(struct file *file, const char __user *buf,
			  size_t count, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&loop_lock);
	ret = ml_loop_dev_write(loop, NULL, (mlc_uptr)buf, count);
	mutex_unlock(&loop_lock);
	return ret;
}

static long loop_unlocked_ioctl(struct file *file, unsigned int cmd,
				unsigned long arg)
{
	long ret;

	mutex_lock(&loop_lock);
	ret = ml_loop_dev_ioctl(loop, NULL, cmd, arg);
	mutex_unlock(&loop_lock);
	return ret;
}

static const struct file_operations loop_fops = {
	.owner		= THIS_MODULE,
	.open		= loop_open,
	.release	= loop_release,
	.read		= loop_read,
	.write		= loop_write,
	.unlocked_ioctl	= loop_unlocked_ioctl,
	.llseek		= no_llseek,
};

/* --- ml_readahead ----------------------------------------------------------- */

typedef size_t (*loop_show_fn)(const struct ml_loop_dev *dev, char *buf,
			       size_t size);

static ssize_t loop_show(char *buf, loop_show_fn show)
{
	size_t len;

	mutex_lock(&loop_lock);
	len = show(loop, buf, PAGE_SIZE);
	mutex_unlock(&loop_lock);
	return min_t(size_t, len, PAGE_SIZE - 1);
}

#define LOOP_ATTR(name)							\
static ssize_t name##_show(struct kobject *kobj,			\
			   struct kobj_attribute *attr, char *buf)	\
{									\
	return loop_show(buf, ml_loop_dev_show_##name);			\
}									\
static struct kobj_attribute name##_attr =				\
	__ATTR(name, ML_LOOP_DEV_ATTR_MODE, name##_show, NULL)

LOOP_ATTR(mode);
LOOP_ATTR(state);
LOOP_ATTR(efficiency);
LOOP_ATTR(stats);

/*
 * `step N` takes the mutex once per epoch, as the emulator takes its lock
 * (docs/closed-loop.md, "Stepping"): no hold is longer than one epoch, and
 * another writer's operation may land between two epochs.
 */
static ssize_t control_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	struct ml_loop_control ctl = { .dev = loop, .steps = 0 };
	long ret;
	u32 i;
	int err;

	mutex_lock(&loop_lock);
	ret = ml_loop_dev_control_store_deferred(&ctl, NULL, buf, count);
	mutex_unlock(&loop_lock);
	for (i = 0; ret >= 0 && i < ctl.steps; i++) {
		mutex_lock(&loop_lock);
		err = ml_loop_dev_step_epoch(loop, NULL);
		mutex_unlock(&loop_lock);
		if (err)
			return err;
		cond_resched();
	}
	return ret;
}

static struct kobj_attribute control_attr =
	__ATTR(control, ML_LIB_MODEL_CONTROL_MODE, NULL, control_store);

/* `workload`: a binary attribute, so the trace's bytes arrive unchanged
 * (no NUL added) with their offset, in chunks of at most a page. */
static ssize_t workload_write(struct file *filp, struct kobject *kobj,
			      struct bin_attribute *attr, char *buf,
			      loff_t off, size_t count)
{
	long ret;

	mutex_lock(&loop_lock);
	ret = ml_loop_dev_workload_write(loop, NULL, buf, count, off);
	mutex_unlock(&loop_lock);
	return ret;
}

static struct bin_attribute workload_attr = {
	.attr	= { .name = "workload", .mode = ML_LOOP_WORKLOAD_ATTR_MODE },
	.size	= 0,	/* no limit: the core checks the trace */
	.write	= workload_write,
};

static struct bin_attribute *loop_model_bin_attrs[] = {
	&workload_attr,
	NULL,
};

static struct attribute *loop_model_attrs[] = {
	&control_attr.attr,
	&mode_attr.attr,
	&state_attr.attr,
	&efficiency_attr.attr,
	&stats_attr.attr,
	NULL,
};

static const struct attribute_group loop_model_group = {
	.attrs = loop_model_attrs,
	.bin_attrs = loop_model_bin_attrs,
};

/* --- load and unload ------------------------------------------------------- */

static int __init loop_init(void)
{
	int ret;

	loop = vzalloc(sizeof(*loop));
	if (!loop)
		return -ENOMEM;

	/* Held until everything exists: an early open waits for it. */
	mutex_lock(&loop_lock);
	ret = ml_loop_dev_load(loop, NULL);
	if (ret)
		goto out;
	if (seed) {
		/* reset restarts the simulation from sim.seed: a fresh load. */
		loop->sim.seed = seed;
		ml_loop_dev_reset(loop, NULL);
	}

	ret = alloc_chrdev_region(&loop_devt, ML_LOOP_DEV_MINOR, 1,
				  ML_LOOP_DEVICE_NAME);
	if (ret)
		goto out_model;
	cdev_init(&loop_cdev, &loop_fops);
	loop_cdev.owner = THIS_MODULE;
	ret = cdev_add(&loop_cdev, loop_devt, 1);
	if (ret)
		goto out_region;

	loop_class = class_create(THIS_MODULE, ML_LOOP_CLASS_NAME);
	if (IS_ERR(loop_class)) {
		ret = PTR_ERR(loop_class);
		goto out_cdev;
	}
	loop_device = device_create(loop_class, NULL, loop_devt, NULL,
				    ML_LOOP_DEVICE_NAME);
	if (IS_ERR(loop_device)) {
		ret = PTR_ERR(loop_device);
		goto out_class;
	}

	ret = -ENOMEM;
	loop_model_kobj = kobject_create_and_add(ML_LOOP_MODEL_NAME,
						 &loop_device->kobj);
	if (!loop_model_kobj)
		goto out_device;
	ret = sysfs_create_group(loop_model_kobj, &loop_model_group);
	if (ret)
		goto out_kobj;

	mutex_unlock(&loop_lock);
	return 0;

out_kobj:
	kobject_put(loop_model_kobj);
out_device:
	device_destroy(loop_class, loop_devt);
out_class:
	class_destroy(loop_class);
out_cdev:
	cdev_del(&loop_cdev);
out_region:
	unregister_chrdev_region(loop_devt, 1);
out_model:
	ml_loop_dev_unload(loop, NULL);
out:
	mutex_unlock(&loop_lock);
	vfree(loop);
	return ret;
}

static void __exit loop_exit(void)
{
	kobject_put(loop_model_kobj);
	device_destroy(loop_class, loop_devt);
	class_destroy(loop_class);
	cdev_del(&loop_cdev);
	unregister_chrdev_region(loop_devt, 1);
	mutex_lock(&loop_lock);
	ml_loop_dev_unload(loop, NULL);
	mutex_unlock(&loop_lock);
	vfree(loop);
}

module_init(loop_init);
module_exit(loop_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("the closed loop's device (/dev/mlloop), built from the mlcore-emu core");
