// SPDX-License-Identifier: GPL-2.0
/*
 * The ml_lib test driver (RFC v1, lib/ml-lib/test_driver) built from the
 * project's core (src/core/ml_lib_test_dev.c, with ml_lib.ko for the
 * model).  Everything the driver decides is in the core; this file
 * registers what the original registers and serialises every core call
 * under one mutex:
 *   - /dev/mllibdev: a dynamic major, minor 0, with open, release, read,
 *     write, unlocked_ioctl and default_llseek (no mmap, no compat_ioctl);
 *   - the class ml_lib_test and its device mllibdev, with the read-only
 *     attributes buffer_size, data_size, access_count and stats;
 *   - the model ml_model1 under the device, with its write-only `control`
 *     (kernfs cuts writes to a page and drops empty ones before the store);
 *   - /proc/mllibdev (0444), a single_open seq_file.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

#include "../src/core/ml_lib_test_dev.h"

static DEFINE_MUTEX(tdev_lock);
static struct ml_lib_test_dev tdev;
static char tdev_text[ML_LIB_TEST_DEV_RENDER_MAX];	/* under tdev_lock */

static dev_t tdev_devt;
static struct cdev tdev_cdev;
static struct class *tdev_class;
static struct device *tdev_device;
static struct kobject *tdev_model_kobj;

/* --- /dev/mllibdev ------------------------------------------------------ */

static int tdev_open(struct inode *inode, struct file *file)
{
	int ret;

	mutex_lock(&tdev_lock);
	ret = ml_lib_test_dev_open(&tdev, NULL);
	mutex_unlock(&tdev_lock);
	return ret;
}

static int tdev_release(struct inode *inode, struct file *file)
{
	int ret;

	mutex_lock(&tdev_lock);
	ret = ml_lib_test_dev_release(&tdev, NULL);
	mutex_unlock(&tdev_lock);
	return ret;
}

static ssize_t tdev_read(struct file *file, char __user *buf, size_t count,
			 loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&tdev_lock);
	ret = ml_lib_test_dev_read(&tdev, NULL, (mlc_uptr)buf, count, ppos);
	mutex_unlock(&tdev_lock);
	return ret;
}

static ssize_t tdev_write(struct file *file, const char __user *buf,
			  size_t count, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&tdev_lock);
	ret = ml_lib_test_dev_write(&tdev, NULL, (mlc_uptr)buf, count, ppos);
	mutex_unlock(&tdev_lock);
	return ret;
}

static long tdev_unlocked_ioctl(struct file *file, unsigned int cmd,
				unsigned long arg)
{
	long ret;

	mutex_lock(&tdev_lock);
	ret = ml_lib_test_dev_ioctl(&tdev, NULL, cmd, arg);
	mutex_unlock(&tdev_lock);
	return ret;
}

static const struct file_operations tdev_fops = {
	.owner		= THIS_MODULE,
	.open		= tdev_open,
	.release	= tdev_release,
	.read		= tdev_read,
	.write		= tdev_write,
	.unlocked_ioctl	= tdev_unlocked_ioctl,
	.llseek		= default_llseek,
};

/* --- the class device's attributes ---------------------------------------- */

typedef size_t (*tdev_show_fn)(const struct ml_lib_test_dev *dev, char *buf,
			       size_t size);

static ssize_t tdev_show(char *buf, tdev_show_fn show)
{
	size_t len;

	mutex_lock(&tdev_lock);
	len = show(&tdev, buf, PAGE_SIZE);
	mutex_unlock(&tdev_lock);
	return min_t(size_t, len, PAGE_SIZE - 1);
}

#define TDEV_ATTR(name)							\
static ssize_t name##_show(struct device *d, struct device_attribute *a, \
			   char *buf)					\
{									\
	return tdev_show(buf, ml_lib_test_dev_show_##name);		\
}									\
static DEVICE_ATTR_RO(name)

TDEV_ATTR(buffer_size);
TDEV_ATTR(data_size);
TDEV_ATTR(access_count);
TDEV_ATTR(stats);

static struct attribute *tdev_attrs[] = {
	&dev_attr_buffer_size.attr,
	&dev_attr_data_size.attr,
	&dev_attr_access_count.attr,
	&dev_attr_stats.attr,
	NULL,
};
ATTRIBUTE_GROUPS(tdev);

/* --- ml_model1/control ------------------------------------------------------ */

static ssize_t control_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	long ret;

	mutex_lock(&tdev_lock);
	ret = ml_lib_test_dev_control_store(&tdev, NULL, buf, count);
	mutex_unlock(&tdev_lock);
	return ret;
}

static struct kobj_attribute control_attr =
	__ATTR(control, ML_LIB_MODEL_CONTROL_MODE, NULL, control_store);

/* --- /proc/mllibdev --------------------------------------------------------- */

static int tdev_proc_show(struct seq_file *m, void *v)
{
	size_t len;

	mutex_lock(&tdev_lock);
	len = ml_lib_test_dev_render_proc(&tdev, tdev_text, sizeof(tdev_text));
	seq_write(m, tdev_text, min(len, sizeof(tdev_text) - 1));
	mutex_unlock(&tdev_lock);
	return 0;
}

static int tdev_proc_open(struct inode *inode, struct file *file)
{
	return single_open(file, tdev_proc_show, NULL);
}

static const struct proc_ops tdev_proc_ops = {
	.proc_open	= tdev_proc_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= single_release,
};

/* --- load and unload ------------------------------------------------------- */

static int __init tdev_init(void)
{
	int ret;

	/* Held until everything exists: an early open waits for it. */
	mutex_lock(&tdev_lock);
	ret = ml_lib_test_dev_load(&tdev, NULL);
	if (ret)
		goto out;

	ret = alloc_chrdev_region(&tdev_devt, ML_LIB_TEST_DEV_MINOR, 1,
				  ML_LIB_TEST_DEVICE_NAME);
	if (ret)
		goto out_model;
	cdev_init(&tdev_cdev, &tdev_fops);
	tdev_cdev.owner = THIS_MODULE;
	ret = cdev_add(&tdev_cdev, tdev_devt, 1);
	if (ret)
		goto out_region;

	tdev_class = class_create(THIS_MODULE, ML_LIB_TEST_CLASS_NAME);
	if (IS_ERR(tdev_class)) {
		ret = PTR_ERR(tdev_class);
		goto out_cdev;
	}
	tdev_device = device_create_with_groups(tdev_class, NULL, tdev_devt,
						NULL, tdev_groups,
						ML_LIB_TEST_DEVICE_NAME);
	if (IS_ERR(tdev_device)) {
		ret = PTR_ERR(tdev_device);
		goto out_class;
	}

	ret = -ENOMEM;
	tdev_model_kobj = kobject_create_and_add(ML_LIB_TEST_MODEL_NAME,
						 &tdev_device->kobj);
	if (!tdev_model_kobj)
		goto out_device;
	ret = sysfs_create_file(tdev_model_kobj, &control_attr.attr);
	if (ret)
		goto out_kobj;

	ret = -ENOMEM;
	if (!proc_create(ML_LIB_TEST_DEVICE_NAME, ML_LIB_TEST_DEV_PROC_MODE,
			 NULL, &tdev_proc_ops))
		goto out_kobj;

	mutex_unlock(&tdev_lock);
	return 0;

out_kobj:
	kobject_put(tdev_model_kobj);
out_device:
	device_destroy(tdev_class, tdev_devt);
out_class:
	class_destroy(tdev_class);
out_cdev:
	cdev_del(&tdev_cdev);
out_region:
	unregister_chrdev_region(tdev_devt, 1);
out_model:
	ml_lib_test_dev_unload(&tdev, NULL);
out:
	mutex_unlock(&tdev_lock);
	return ret;
}

static void __exit tdev_exit(void)
{
	remove_proc_entry(ML_LIB_TEST_DEVICE_NAME, NULL);
	kobject_put(tdev_model_kobj);
	device_destroy(tdev_class, tdev_devt);
	class_destroy(tdev_class);
	cdev_del(&tdev_cdev);
	unregister_chrdev_region(tdev_devt, 1);
	mutex_lock(&tdev_lock);
	ml_lib_test_dev_unload(&tdev, NULL);
	mutex_unlock(&tdev_lock);
}

module_init(tdev_init);
module_exit(tdev_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ml_lib test driver (RFC v1), built from the mlcore-emu core");
