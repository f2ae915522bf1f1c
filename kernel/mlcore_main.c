// SPDX-License-Identifier: GPL-2.0
/*
 * mlcore (drivers/misc/mlcore) built from the project's core: the same
 * src/core/ files the emulator runs, with the kernel's own chrdev, procfs
 * and seq_file around them.  Everything the driver decides is in
 * src/core/mlcore_dev.c; this file only registers what the original
 * registered and serialises every core call under one mutex (the original
 * has no locking; this is stronger, as in the emulator).
 *
 * As in the original:
 *   - /dev/mlcore: register_chrdev(104, "mlcore") with open, release and
 *     unlocked_ioctl only (no read/write/llseek/mmap/compat_ioctl, so the
 *     VFS answers those);
 *   - /proc/mlcore_result and /proc/mlcore_train: proc_create(mode 0, so
 *     0444), single_open seq_files;
 *   - the load and unload lines.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

#include "../src/core/mlcore_dev.h"

static DEFINE_MUTEX(mlcore_lock);
static struct mlcore_dev mlcore;
/* One rendering at a time (under mlcore_lock): no 4 KiB on the stack. */
static char mlcore_text[MLCORE_RENDER_MAX];

static long mlcore_unlocked_ioctl(struct file *file, unsigned int cmd,
				  unsigned long arg)
{
	long ret;

	mutex_lock(&mlcore_lock);
	ret = mlcore_dev_ioctl(&mlcore, NULL, cmd, arg);
	mutex_unlock(&mlcore_lock);
	return ret;
}

static int mlcore_open(struct inode *inode, struct file *file)
{
	return 0;
}

static int mlcore_release(struct inode *inode, struct file *file)
{
	return 0;
}

static const struct file_operations mlcore_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= mlcore_unlocked_ioctl,
	.open		= mlcore_open,
	.release	= mlcore_release,
};

typedef size_t (*mlcore_render_fn)(const struct mlcore_dev *dev, char *buf,
				   size_t size);

static int mlcore_show(struct seq_file *m, mlcore_render_fn render)
{
	size_t len;

	mutex_lock(&mlcore_lock);
	len = render(&mlcore, mlcore_text, sizeof(mlcore_text));
	seq_write(m, mlcore_text, min(len, sizeof(mlcore_text) - 1));
	mutex_unlock(&mlcore_lock);
	return 0;
}

static int mlcore_result_show(struct seq_file *m, void *v)
{
	return mlcore_show(m, mlcore_render_result);
}

static int mlcore_train_show(struct seq_file *m, void *v)
{
	return mlcore_show(m, mlcore_render_train);
}

static int mlcore_result_open(struct inode *inode, struct file *file)
{
	return single_open(file, mlcore_result_show, NULL);
}

static int mlcore_train_open(struct inode *inode, struct file *file)
{
	return single_open(file, mlcore_train_show, NULL);
}

static const struct proc_ops mlcore_result_ops = {
	.proc_open	= mlcore_result_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= single_release,
};

static const struct proc_ops mlcore_train_ops = {
	.proc_open	= mlcore_train_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= single_release,
};

static int __init mlcore_init(void)
{
	int ret;

	/* Held until the state is loaded: an early ioctl waits for it. */
	mutex_lock(&mlcore_lock);
	ret = register_chrdev(MLCORE_MAJOR, MLCORE_DEVICE_NAME, &mlcore_fops);
	if (ret < 0) {
		pr_err("[mlcore] major %d is taken (%d)\n", MLCORE_MAJOR, ret);
		goto out;
	}
	ret = -ENOMEM;
	if (!proc_create(MLCORE_PROC_RESULT, 0, NULL, &mlcore_result_ops))
		goto out_chrdev;
	if (!proc_create(MLCORE_PROC_TRAIN, 0, NULL, &mlcore_train_ops))
		goto out_result;
	mlcore_dev_load(&mlcore, NULL);
	mutex_unlock(&mlcore_lock);
	return 0;

out_result:
	remove_proc_entry(MLCORE_PROC_RESULT, NULL);
out_chrdev:
	unregister_chrdev(MLCORE_MAJOR, MLCORE_DEVICE_NAME);
out:
	mutex_unlock(&mlcore_lock);
	return ret;
}

static void __exit mlcore_exit(void)
{
	unregister_chrdev(MLCORE_MAJOR, MLCORE_DEVICE_NAME);
	remove_proc_entry(MLCORE_PROC_RESULT, NULL);
	remove_proc_entry(MLCORE_PROC_TRAIN, NULL);
	mutex_lock(&mlcore_lock);
	mlcore_dev_unload(&mlcore, NULL);
	mutex_unlock(&mlcore_lock);
}

module_init(mlcore_init);
module_exit(mlcore_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mlcore ML helper driver, built from the mlcore-emu core");
