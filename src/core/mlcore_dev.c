// SPDX-License-Identifier: GPL-2.0
/*
 * mlcore device behaviour, bug-compatible with the posted driver
 * (drivers/misc/mlcore/mlcore_ioctl_proc_ts.c, June 2025).
 *
 * Differences from the original are deliberate and limited to structure:
 * the state lives in struct mlcore_dev instead of file-scope statics, the
 * proc text is rendered into a caller's buffer (the kernel glue hands it to
 * seq_file), and a copy from the caller goes to a local before it is
 * committed, so a faulting copy changes no state.
 */
#include "mlcore_dev.h"
#include "mlc_fixed.h"
#include "mlc_text.h"
#include "mlc_time.h"

#define MLCORE_LOG_LINE_MAX	128	/* the driver's log_msg[128] */

void mlcore_dev_load(struct mlcore_dev *dev, struct mlc_host *host)
{
	mlc_memset(dev, 0, sizeof(*dev));
	dev->latest_result = -1;
	mlc_printk(host, MLC_KERN_INFO,
		   "[mlcore] Loaded with fixed-point logging.\n");
}

void mlcore_dev_unload(struct mlcore_dev *dev, struct mlc_host *host)
{
	(void)dev;
	mlc_printk(host, MLC_KERN_INFO, "[mlcore] Unloaded.\n");
}

/* One line per prediction, failures reported to the kernel log only. */
static void mlcore_log_to_file(struct mlc_host *host, int32_t result)
{
	struct mlc_timespec ts;
	struct mlc_tm tm;
	char line[MLCORE_LOG_LINE_MAX];
	struct mlc_text t;
	size_t len;

	/* The driver reads the clock again here, apart from the history. */
	mlc_clock_realtime(host, &ts);
	mlc_time_to_tm(ts.tv_sec, &tm);
	/* snprintf(line, sizeof(line), MLC_TM_FMT " - Prediction: %d\n"),
	 * without the format string: this runs for every SET_RESULT. */
	mlc_text_init(&t, line, sizeof(line));
	mlc_text_put_tm(&t, &tm);
	mlc_text_puts(&t, " - Prediction: ");
	mlc_text_put_dec(&t, result, 0);
	mlc_text_puts(&t, "\n");
	len = t.len < sizeof(line) ? t.len : sizeof(line) - 1;

	switch (mlc_logfile_append(host, line, len)) {
	case MLC_LOGFILE_OPEN_FAILED:
		mlc_printk(host, MLC_KERN_ERR,
			   "[mlcore] Failed to open log file.\n");
		break;
	case MLC_LOGFILE_WRITE_FAILED:
		mlc_printk(host, MLC_KERN_ERR,
			   "[mlcore] Failed to write to log file.\n");
		break;
	default:
		break;
	}
}

static long mlcore_send_ints(struct mlcore_dev *dev, struct mlc_host *host,
			     mlc_uptr arg)
{
	int32_t in[MLCORE_NUM_FEATURES];

	if (mlc_copy_from_user(host, in, arg, MLCORE_SEND_INTS_LEN))
		return -EFAULT;
	mlc_memcpy(dev->features, in, sizeof(in));
	mlc_printk(host, MLC_KERN_INFO,
		   "[mlcore] Received features: " MLC_FIXED_FMT " "
		   MLC_FIXED_FMT " " MLC_FIXED_FMT "\n",
		   MLC_FIXED_ARGS(in[0]), MLC_FIXED_ARGS(in[1]),
		   MLC_FIXED_ARGS(in[2]));
	return 0;
}

static long mlcore_set_result(struct mlcore_dev *dev, struct mlc_host *host,
			      mlc_uptr arg)
{
	struct mlcore_prediction *slot;
	int32_t result;

	if (mlc_copy_from_user(host, &result, arg, MLCORE_SET_RESULT_LEN))
		return -EFAULT;

	dev->latest_result = result;

	slot = &dev->history[dev->hist_index];
	slot->result = result;
	mlc_clock_realtime(host, &slot->stamp);
	dev->hist_index = (dev->hist_index + 1) % MLCORE_HISTORY_SIZE;
	if (dev->hist_count < MLCORE_HISTORY_SIZE)
		dev->hist_count++;

	mlcore_log_to_file(host, result);
	mlc_printk(host, MLC_KERN_INFO, "[mlcore] Prediction set: %d\n", result);
	return 0;
}

static long mlcore_get_result(struct mlcore_dev *dev, struct mlc_host *host,
			      mlc_uptr arg)
{
	/* Exactly sizeof(int), whatever _IOC_SIZE(IOCTL_GET_RESULT) says. */
	if (mlc_copy_to_user(host, arg, &dev->latest_result,
			     MLCORE_GET_RESULT_LEN))
		return -EFAULT;
	return 0;
}

static long mlcore_add_training(struct mlcore_dev *dev, struct mlc_host *host,
				mlc_uptr arg)
{
	struct train_entry entry;

	if (mlc_copy_from_user(host, &entry, arg, MLCORE_ADD_TRAINING_LEN))
		return -EFAULT;

	if (dev->train_count >= MLCORE_MAX_TRAINING_ENTRIES) {
		/* Dropped silently: the caller still gets 0. */
		mlc_printk(host, MLC_KERN_WARNING,
			   "[mlcore] Training buffer full!\n");
		return 0;
	}

	dev->training[dev->train_count++] = entry;
	mlc_printk(host, MLC_KERN_INFO,
		   "[mlcore] Training data added: " MLC_FIXED_FMT " "
		   MLC_FIXED_FMT " " MLC_FIXED_FMT " => %d\n",
		   MLC_FIXED_ARGS(entry.features[0]),
		   MLC_FIXED_ARGS(entry.features[1]),
		   MLC_FIXED_ARGS(entry.features[2]), entry.label);
	return 0;
}

static long mlcore_clear_training(struct mlcore_dev *dev,
				  struct mlc_host *host)
{
	dev->train_count = 0;
	mlc_printk(host, MLC_KERN_INFO, "[mlcore] Training buffer cleared\n");
	return 0;
}

long mlcore_dev_ioctl(struct mlcore_dev *dev, struct mlc_host *host,
		      unsigned int cmd, mlc_uptr arg)
{
	switch (cmd) {
	case IOCTL_SEND_INTS:
		return mlcore_send_ints(dev, host, arg);
	case IOCTL_SET_RESULT:
		return mlcore_set_result(dev, host, arg);
	case IOCTL_GET_RESULT:
		return mlcore_get_result(dev, host, arg);
	case IOCTL_ADD_TRAINING:
		return mlcore_add_training(dev, host, arg);
	case IOCTL_CLEAR_TRAINING:
		return mlcore_clear_training(dev, host);
	default:
		/* Not ENOTTY: the driver says EINVAL for anything unknown. */
		return -EINVAL;
	}
}

size_t mlcore_render_result(const struct mlcore_dev *dev, char *buf,
			    size_t size)
{
	struct mlc_text t;
	int i;

	/* The driver's seq_printf()s, without format strings: a monitor
	 * may read this file as often as predictions are set. */
	mlc_text_init(&t, buf, size);
	mlc_text_puts(&t, "Current Prediction: ");	/* "%d\n" */
	mlc_text_put_dec(&t, dev->latest_result, 0);
	mlc_text_puts(&t, "\nPrediction History (latest ");	/* "%d):\n" */
	mlc_text_put_dec(&t, dev->hist_count, 0);
	mlc_text_puts(&t, "):\n");

	/* Oldest first; the index restarts at 0 in every rendering. */
	for (i = 0; i < dev->hist_count; i++) {
		int idx = (dev->hist_index + MLCORE_HISTORY_SIZE -
			   dev->hist_count + i) % MLCORE_HISTORY_SIZE;
		const struct mlcore_prediction *p = &dev->history[idx];
		struct mlc_tm tm;

		/* " [%d]: %d at " MLC_TM_FMT "\n" */
		mlc_time_to_tm(p->stamp.tv_sec, &tm);
		mlc_text_puts(&t, " [");
		mlc_text_put_dec(&t, i, 0);
		mlc_text_puts(&t, "]: ");
		mlc_text_put_dec(&t, p->result, 0);
		mlc_text_puts(&t, " at ");
		mlc_text_put_tm(&t, &tm);
		mlc_text_puts(&t, "\n");
	}
	return t.len;
}

size_t mlcore_render_train(const struct mlcore_dev *dev, char *buf,
			   size_t size)
{
	struct mlc_text t;
	int i;

	mlc_text_init(&t, buf, size);
	for (i = 0; i < dev->train_count; i++) {
		const struct train_entry *e = &dev->training[i];

		mlc_text_printf(&t, "[%d]: " MLC_FIXED_FMT " " MLC_FIXED_FMT
				" " MLC_FIXED_FMT " => %d\n", i,
				MLC_FIXED_ARGS(e->features[0]),
				MLC_FIXED_ARGS(e->features[1]),
				MLC_FIXED_ARGS(e->features[2]), e->label);
	}
	return t.len;
}

void mlcore_dev_copy_shown(struct mlcore_dev *dst,
			   const struct mlcore_dev *src)
{
	int32_t n = src->train_count;

	if (n < 0)
		n = 0;
	if (n > MLCORE_MAX_TRAINING_ENTRIES)
		n = MLCORE_MAX_TRAINING_ENTRIES;
	dst->latest_result = src->latest_result;
	dst->hist_index = src->hist_index;
	dst->hist_count = src->hist_count;
	dst->train_count = src->train_count;
	mlc_memcpy(dst->history, src->history, sizeof(dst->history));
	/* Only the entries in use: a full copy would cost every ioctl 800 bytes. */
	mlc_memcpy(dst->training, src->training,
		   (size_t)n * sizeof(dst->training[0]));
}

bool mlcore_dev_ioctl_changes_shown(unsigned int cmd)
{
	return cmd == IOCTL_SET_RESULT || cmd == IOCTL_ADD_TRAINING ||
	       cmd == IOCTL_CLEAR_TRAINING;
}

const char *mlcore_cmd_name(unsigned int cmd)
{
	switch (cmd) {
	case IOCTL_SEND_INTS:
		return "IOCTL_SEND_INTS";
	case IOCTL_SET_RESULT:
		return "IOCTL_SET_RESULT";
	case IOCTL_GET_RESULT:
		return "IOCTL_GET_RESULT";
	case IOCTL_ADD_TRAINING:
		return "IOCTL_ADD_TRAINING";
	case IOCTL_CLEAR_TRAINING:
		return "IOCTL_CLEAR_TRAINING";
	default:
		return NULL;
	}
}

unsigned int mlcore_cmd_likely_intended(unsigned int cmd)
{
	static const unsigned int known[] = {
		IOCTL_SEND_INTS, IOCTL_SET_RESULT, IOCTL_GET_RESULT,
		IOCTL_ADD_TRAINING, IOCTL_CLEAR_TRAINING,
	};
	size_t i;

	if (mlcore_cmd_name(cmd))
		return 0;
	for (i = 0; i < MLC_ARRAY_SIZE(known); i++) {
		if (_IOC_TYPE(cmd) == _IOC_TYPE(known[i]) &&
		    _IOC_NR(cmd) == _IOC_NR(known[i]))
			return known[i];
	}
	return 0;
}

int mlcore_ioctl_copy(unsigned int cmd, struct mlc_ioctl_copy *copy)
{
	switch (cmd) {
	case IOCTL_SEND_INTS:
		*copy = MLC_IOCTL_COPY(MLCORE_SEND_INTS_LEN, 0);
		return 0;
	case IOCTL_SET_RESULT:
		*copy = MLC_IOCTL_COPY(MLCORE_SET_RESULT_LEN, 0);
		return 0;
	case IOCTL_GET_RESULT:
		*copy = MLC_IOCTL_COPY(0, MLCORE_GET_RESULT_LEN);
		return 0;
	case IOCTL_ADD_TRAINING:
		*copy = MLC_IOCTL_COPY(MLCORE_ADD_TRAINING_LEN, 0);
		return 0;
	case IOCTL_CLEAR_TRAINING:
		*copy = MLC_IOCTL_COPY(0, 0);
		return 0;
	default:
		return -EINVAL;
	}
}
