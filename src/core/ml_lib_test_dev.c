// SPDX-License-Identifier: GPL-2.0
/*
 * The ml_lib test driver's behaviour (RFC v1, /dev/mllibdev), per
 * ABI.md "Profile 2: ml_lib"; see ml_lib_test_dev.h.
 *
 * Differences from the original are structural: the state lives in struct
 * ml_lib_test_dev instead of an allocated device structure, the file
 * position is the caller's, texts are rendered into a caller's buffer (the
 * kernel glue hands them to seq_file and sysfs), and the model's dataset
 * operations are passed to the model at call time.
 */
#include "ml_lib_test_dev.h"
#include "mlc_text.h"

#define TDEV_PFX	"ml_lib_test_dev: "
#define TDEV_SIZE	ML_LIB_TEST_BUFFER_SIZE

int ml_lib_test_dev_load(struct ml_lib_test_dev *dev, struct mlc_host *host)
{
	int err;

	mlc_printk(host, MLC_KERN_INFO, TDEV_PFX "Initializing driver\n");

	mlc_memset(dev, 0, sizeof(*dev));
	err = ml_lib_model_create(&dev->model1, host, ML_LIB_TEST_MODEL_NAME);
	if (err)
		return err;

	mlc_printk(host, MLC_KERN_INFO,
		   TDEV_PFX "Driver initialized successfully\n");
	mlc_printk(host, MLC_KERN_INFO,
		   TDEV_PFX "Device created at /dev/" ML_LIB_TEST_DEVICE_NAME "\n");
	mlc_printk(host, MLC_KERN_INFO,
		   TDEV_PFX "Proc entry created at /proc/"
		   ML_LIB_TEST_DEVICE_NAME "\n");
	return 0;
}

void ml_lib_test_dev_unload(struct ml_lib_test_dev *dev, struct mlc_host *host)
{
	ml_lib_model_destroy(&dev->model1, host);
}

int ml_lib_test_dev_open(struct ml_lib_test_dev *dev, struct mlc_host *host)
{
	dev->access_count++;
	mlc_printk(host, MLC_KERN_INFO,
		   TDEV_PFX "Device opened (total opens: %llu)\n",
		   (unsigned long long)dev->access_count);
	return 0;
}

int ml_lib_test_dev_release(struct ml_lib_test_dev *dev,
			    struct mlc_host *host)
{
	mlc_printk(host, MLC_KERN_INFO, TDEV_PFX "Device closed\n");
	return 0;
}

long ml_lib_test_dev_read(struct ml_lib_test_dev *dev, struct mlc_host *host,
			  mlc_uptr dst, size_t count, int64_t *ppos)
{
	int64_t p = *ppos;
	size_t n;

	if (p < 0)
		return -EINVAL;
	if (p >= dev->data_size)
		return 0;

	n = (size_t)(dev->data_size - p);
	if (count < n)
		n = count;
	if (mlc_copy_to_user(host, dst, dev->dataset + p, n))
		return -EFAULT;

	*ppos = p + (int64_t)n;
	dev->read_count++;
	mlc_printk(host, MLC_KERN_INFO, TDEV_PFX "Read %zu bytes\n", n);
	return (long)n;
}

long ml_lib_test_dev_write(struct ml_lib_test_dev *dev, struct mlc_host *host,
			   mlc_uptr src, size_t count, int64_t *ppos)
{
	int64_t p = *ppos;
	size_t n;

	if (p < 0)
		return -EINVAL;
	if (p >= TDEV_SIZE)
		return -ENOSPC;

	n = (size_t)(TDEV_SIZE - p);
	if (count < n)
		n = count;
	/* Straight into the buffer: a fault may leave a zero-filled tail. */
	if (mlc_copy_from_user(host, dev->recommendations + p, src, n))
		return -EFAULT;

	p += (int64_t)n;
	*ppos = p;
	if (p > dev->recommendations_size)
		dev->recommendations_size = (int32_t)p;
	dev->write_count++;
	mlc_printk(host, MLC_KERN_INFO, TDEV_PFX "Wrote %zu bytes\n", n);
	return (long)n;
}

/* --- ioctls ----------------------------------------------------------- */

static long tdev_ioc_reset(struct ml_lib_test_dev *dev, struct mlc_host *host)
{
	/* The model's dataset is left as it is (still CLEAN after a prepare). */
	mlc_memset(dev->dataset, 0, sizeof(dev->dataset));
	mlc_memset(dev->recommendations, 0, sizeof(dev->recommendations));
	dev->data_size = 0;
	dev->recommendations_size = 0;
	mlc_printk(host, MLC_KERN_INFO, TDEV_PFX "Buffer reset via IOCTL\n");
	return 0;
}

static long tdev_ioc_get_size(struct ml_lib_test_dev *dev,
			      struct mlc_host *host, mlc_uptr arg)
{
	int32_t size = dev->data_size;

	if (mlc_copy_to_user(host, arg, &size, sizeof(size)))
		return -EFAULT;
	return 0;
}

static long tdev_ioc_set_size(struct ml_lib_test_dev *dev,
			      struct mlc_host *host, mlc_uptr arg)
{
	int32_t size;

	if (mlc_copy_from_user(host, &size, arg, sizeof(size)))
		return -EFAULT;
	if (size < 0 || size > TDEV_SIZE)
		return -EINVAL;

	/* Only the recommendations size: no file shows it. */
	dev->recommendations_size = size;
	mlc_printk(host, MLC_KERN_INFO,
		   TDEV_PFX "Data size set to %d via IOCTL\n", (int)size);
	return 0;
}

long ml_lib_test_dev_ioctl(struct ml_lib_test_dev *dev, struct mlc_host *host,
			   unsigned int cmd, mlc_uptr arg)
{
	switch (cmd) {
	case ML_LIB_TEST_IOCRESET:
		return tdev_ioc_reset(dev, host);
	case ML_LIB_TEST_IOCGETSIZE:
		return tdev_ioc_get_size(dev, host, arg);
	case ML_LIB_TEST_IOCSETSIZE:
		return tdev_ioc_set_size(dev, host, arg);
	default:
		return -ENOTTY;
	}
}

/* --- ml_model1 -------------------------------------------------------- */

/* prepare_dataset: one random byte value fills the whole dataset. */
static int tdev_extract(void *priv, struct mlc_host *host,
			struct ml_lib_dataset *ds)
{
	struct ml_lib_test_dev *dev = priv;
	uint8_t value;

	mlc_get_random_bytes(host, &value, sizeof(value));
	mlc_memset(dev->dataset, value, sizeof(dev->dataset));
	dev->data_size = TDEV_SIZE;

	ds->type = ML_LIB_MEMORY_STREAM_DATASET;
	ds->allocated_size = sizeof(dev->dataset);
	ds->portion_offset = 0;
	ds->portion_size = TDEV_SIZE;
	return 0;
}

const struct ml_lib_dataset_ops ml_lib_test_dev_dataset_ops = {
	.extract = tdev_extract,
};

long ml_lib_test_dev_control_store(void *priv, struct mlc_host *host,
				   const char *buf, size_t count)
{
	struct ml_lib_test_dev *dev = priv;

	return ml_lib_model_control_store(&dev->model1, host,
					  &ml_lib_test_dev_dataset_ops, dev,
					  buf, count);
}

/* --- renderings ------------------------------------------------------- */

size_t ml_lib_test_dev_render_proc(const struct ml_lib_test_dev *dev,
				   char *buf, size_t size)
{
	struct mlc_text t;

	mlc_text_init(&t, buf, size);
	mlc_text_printf(&t, "ML Library Testing Device Driver Information\n");
	mlc_text_printf(&t, "=================================\n");
	mlc_text_printf(&t, "Device name:     %s\n", ML_LIB_TEST_DEVICE_NAME);
	mlc_text_printf(&t, "Buffer size:     %d bytes\n", TDEV_SIZE);
	mlc_text_printf(&t, "Data size:       %d bytes\n", (int)dev->data_size);
	mlc_text_printf(&t, "Access count:    %llu\n",
			 (unsigned long long)dev->access_count);
	mlc_text_printf(&t, "Read count:      %llu\n",
			 (unsigned long long)dev->read_count);
	mlc_text_printf(&t, "Write count:     %llu\n",
			 (unsigned long long)dev->write_count);
	return t.len;
}

void ml_lib_test_dev_copy_shown(struct ml_lib_test_dev *dst,
				const struct ml_lib_test_dev *src)
{
	dst->data_size = src->data_size;
	dst->recommendations_size = src->recommendations_size;
	dst->access_count = src->access_count;
	dst->read_count = src->read_count;
	dst->write_count = src->write_count;
	dst->model1 = src->model1;
}

size_t ml_lib_test_dev_proc_show(void *priv, char *buf, size_t size)
{
	return ml_lib_test_dev_render_proc(priv, buf, size);
}

size_t ml_lib_test_dev_show_buffer_size(const struct ml_lib_test_dev *dev,
					char *buf, size_t size)
{
	struct mlc_text t;

	mlc_text_init(&t, buf, size);
	mlc_text_printf(&t, "%d\n", TDEV_SIZE);
	return t.len;
}

size_t ml_lib_test_dev_show_data_size(const struct ml_lib_test_dev *dev,
				      char *buf, size_t size)
{
	struct mlc_text t;

	mlc_text_init(&t, buf, size);
	mlc_text_printf(&t, "%d\n", (int)dev->data_size);
	return t.len;
}

size_t ml_lib_test_dev_show_access_count(const struct ml_lib_test_dev *dev,
					 char *buf, size_t size)
{
	struct mlc_text t;

	mlc_text_init(&t, buf, size);
	mlc_text_printf(&t, "%llu\n", (unsigned long long)dev->access_count);
	return t.len;
}

size_t ml_lib_test_dev_show_stats(const struct ml_lib_test_dev *dev,
				  char *buf, size_t size)
{
	struct mlc_text t;

	mlc_text_init(&t, buf, size);
	/* "Opens" is access_count: the driver has no other open counter. */
	mlc_text_printf(&t, "Opens: %llu\nReads: %llu\nWrites: %llu\n",
			 (unsigned long long)dev->access_count,
			 (unsigned long long)dev->read_count,
			 (unsigned long long)dev->write_count);
	return t.len;
}

size_t ml_lib_test_dev_show_dev(unsigned int major, char *buf, size_t size)
{
	struct mlc_text t;

	mlc_text_init(&t, buf, size);
	mlc_text_printf(&t, "%u:%u\n", major, ML_LIB_TEST_DEV_MINOR);
	return t.len;
}

int ml_lib_test_dev_ioctl_copy(unsigned int cmd, struct mlc_ioctl_copy *copy)
{
	switch (cmd) {
	case ML_LIB_TEST_IOCRESET:
		*copy = MLC_IOCTL_COPY(0, 0);
		return 0;
	case ML_LIB_TEST_IOCGETSIZE:
		*copy = MLC_IOCTL_COPY(0, sizeof(int32_t));
		return 0;
	case ML_LIB_TEST_IOCSETSIZE:
		*copy = MLC_IOCTL_COPY(sizeof(int32_t), 0);
		return 0;
	default:
		return -ENOTTY;
	}
}
