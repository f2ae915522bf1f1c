/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ml_lib test driver (RFC v1, lib/ml-lib/test_driver): the character
 * device /dev/mllibdev, its sysfs attributes, /proc/mllibdev and the model
 * ml_model1, as plain state and operations on it.
 *
 * The state is one flat struct with no pointers (the model is embedded),
 * so it lives unchanged in a module's storage or in shared memory.  File
 * positions are not part of it: each open file description keeps its own,
 * and read/write take it by pointer and advance it, as the VFS's *ppos.
 *
 * What the VFS or kernfs answer on the driver's behalf is in vfs_model.h:
 *   - read(2)/write(2) access-mode and offset checks:    mlc_vfs_rw_check()
 *   - lseek(2) (the driver uses default_llseek, i_size 0):
 *                                  ml_lib_test_dev_llseek() below
 *   - mmap(2) (no handler: ENODEV): ml_lib_test_dev_mmap() below
 *   - opening a sysfs attribute:    mlc_vfs_sysfs_open_check()
 *   - writing `control`:            mlc_vfs_sysfs_write() with
 *                                   ml_lib_test_dev_control_store()
 * The kernel build uses the real VFS and never calls those two inlines.
 *
 * Locking: none here; callers serialise every operation on the device.
 */
#ifndef ML_LIB_TEST_DEV_H
#define ML_LIB_TEST_DEV_H

#include "mlc_platform.h"
#include "mlc_ioctl_copy.h"
#include "ml_lib_model.h"
#include "vfs_model.h"
#include "../../include/uapi/ml_lib.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ML_LIB_TEST_DEV_MINOR		0
/* The device's inode has i_size 0, which default_llseek uses for SEEK_END. */
#define ML_LIB_TEST_DEV_I_SIZE		0
/* Modes of /proc/mllibdev and of the device's sysfs attributes. */
#define ML_LIB_TEST_DEV_PROC_MODE	0444
#define ML_LIB_TEST_DEV_ATTR_MODE	0444

struct ml_lib_test_dev {
	uint8_t dataset[ML_LIB_TEST_BUFFER_SIZE];
	uint8_t recommendations[ML_LIB_TEST_BUFFER_SIZE];
	int32_t data_size;		/* readable bytes of dataset */
	int32_t recommendations_size;	/* shown by no file */
	uint64_t access_count;		/* opens: "Access count", "Opens" */
	uint64_t read_count;
	uint64_t write_count;
	struct ml_lib_model model1;	/* "ml_model1" */
};

/* Any rendering of this device fits here (the proc text is < 256 bytes). */
#define ML_LIB_TEST_DEV_RENDER_MAX	512

/*
 * Module load: both buffers and all sizes and counters zeroed, ml_model1
 * created (EMERGENCY, CREATED), and the load lines at info level:
 * "Initializing driver", "Driver initialized successfully", "Device created
 * at /dev/mllibdev", "Proc entry created at /proc/mllibdev".  Returns 0 or
 * -errno.
 */
int ml_lib_test_dev_load(struct ml_lib_test_dev *dev, struct mlc_host *host);
/* Module unload: ml_model1 destroyed.  No log line (ABI.md lists none). */
void ml_lib_test_dev_unload(struct ml_lib_test_dev *dev, struct mlc_host *host);

/* open(2): access_count += 1, info `... Device opened (total opens: N)`. */
int ml_lib_test_dev_open(struct ml_lib_test_dev *dev, struct mlc_host *host);
/* The last close of an open file: info `ml_lib_test_dev: Device closed`. */
int ml_lib_test_dev_release(struct ml_lib_test_dev *dev,
			    struct mlc_host *host);

/*
 * read(2) of up to count bytes at *ppos into the caller's dst.  0 at or
 * past the data size (nothing counted or logged); otherwise min(count,
 * size - *ppos) bytes, *ppos advanced, read count += 1 and `Read N bytes`
 * (also for N = 0).  -EFAULT when the copy faults (nothing counted, *ppos
 * kept).  -EINVAL for a negative *ppos (the VFS refuses it first).
 */
long ml_lib_test_dev_read(struct ml_lib_test_dev *dev, struct mlc_host *host,
			  mlc_uptr dst, size_t count, int64_t *ppos);
/*
 * write(2) of up to count bytes at *ppos from the caller's src into the
 * recommendations buffer.  -ENOSPC at or past 1024, even for 0 bytes;
 * otherwise min(count, 1024 - *ppos) bytes, *ppos advanced, recommendations
 * size := max(size, *ppos), write count += 1 and `Wrote N bytes` (also for
 * N = 0).  -EFAULT when the copy faults (nothing counted, *ppos kept).
 * -EINVAL for a negative *ppos.
 */
long ml_lib_test_dev_write(struct ml_lib_test_dev *dev, struct mlc_host *host,
			   mlc_uptr src, size_t count, int64_t *ppos);

/*
 * unlocked_ioctl: IOCRESET, IOCGETSIZE (writes exactly 4 bytes),
 * IOCSETSIZE (reads 4 bytes; -EINVAL outside 0..1024); anything else
 * -ENOTTY.  -EFAULT when the caller's memory faults.
 */
long ml_lib_test_dev_ioctl(struct ml_lib_test_dev *dev, struct mlc_host *host,
			   unsigned int cmd, mlc_uptr arg);

/* The bytes each 'M' ioctl copies (mlc_ioctl_copy.h): 0, or -ENOTTY. */
int ml_lib_test_dev_ioctl_copy(unsigned int cmd, struct mlc_ioctl_copy *copy);

/* The subsystem's dataset operations that ml_model1 is driven with. */
extern const struct ml_lib_dataset_ops ml_lib_test_dev_dataset_ops;

/*
 * The store of ml_model1's `control` (priv is the struct ml_lib_test_dev),
 * shaped as an mlc_sysfs_store_fn for mlc_vfs_sysfs_write().
 */
long ml_lib_test_dev_control_store(void *priv, struct mlc_host *host,
				   const char *buf, size_t count);

/*
 * Renderings into buf (NUL-terminated when size > 0).  Each returns the
 * full length of the text, like snprintf; it fits whenever size >=
 * ML_LIB_TEST_DEV_RENDER_MAX.
 */
size_t ml_lib_test_dev_render_proc(const struct ml_lib_test_dev *dev,
				   char *buf, size_t size);
size_t ml_lib_test_dev_show_buffer_size(const struct ml_lib_test_dev *dev,
					char *buf, size_t size);
size_t ml_lib_test_dev_show_data_size(const struct ml_lib_test_dev *dev,
				      char *buf, size_t size);
size_t ml_lib_test_dev_show_access_count(const struct ml_lib_test_dev *dev,
					 char *buf, size_t size);
size_t ml_lib_test_dev_show_stats(const struct ml_lib_test_dev *dev,
				  char *buf, size_t size);
/* The class device's `dev` attribute, "MAJ:MIN\n" (the major is dynamic). */
size_t ml_lib_test_dev_show_dev(unsigned int major, char *buf, size_t size);

/*
 * Copies into dst every field the renderings above read (not the two
 * buffers; the rest of dst is left as it is), so a caller can render from
 * a copy taken without the device's lock (see mlcore_dev_copy_shown()).
 */
void ml_lib_test_dev_copy_shown(struct ml_lib_test_dev *dst,
				const struct ml_lib_test_dev *src);

/* /proc/mllibdev shaped as an mlc_seq_show_fn (priv is the device). */
size_t ml_lib_test_dev_proc_show(void *priv, char *buf, size_t size);

/* lseek(2): default_llseek over an i_size of 0 (user-space doors only). */
static inline int64_t ml_lib_test_dev_llseek(int64_t *f_pos, int64_t offset,
					     int whence)
{
	return mlc_vfs_default_llseek(f_pos, ML_LIB_TEST_DEV_I_SIZE, offset,
				      whence);
}

/* mmap(2): the driver has no handler (user-space doors only). */
static inline long ml_lib_test_dev_mmap(void)
{
	return mlc_vfs_mmap_no_handler();
}

#ifdef __cplusplus
}
#endif

#endif /* ML_LIB_TEST_DEV_H */
