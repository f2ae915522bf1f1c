// SPDX-License-Identifier: GPL-2.0
/*
 * The closed loop's device /dev/mlloop and its model ml_readahead; see
 * ml_loop_dev.h and docs/closed-loop.md.  Integer arithmetic only.
 */
#include "ml_loop_dev.h"
#include "mlc_text.h"

#define LOOP_PFX	"ml_loop: "

/* --- helpers ------------------------------------------------------------ */

uint32_t ml_loop_ratio_milli(uint64_t num, uint64_t den)
{
	uint64_t r;

	if (den == 0)
		return num ? ML_LOOP_Q_MAX_MILLI : 1000;
	/* Costs stay far below 2^54, so 1000 * num cannot overflow. */
	r = num * 1000 / den;
	return r > ML_LOOP_Q_MAX_MILLI ? ML_LOOP_Q_MAX_MILLI : (uint32_t)r;
}

/* EWMA with alpha 1/4, rounded. */
static uint32_t loop_ewma(uint32_t avg, uint32_t sample)
{
	return (uint32_t)((3 * (uint64_t)avg + sample + 2) / 4);
}

static const char *loop_mode_name(uint32_t mode)
{
	const char *name = ml_lib_model_mode_name(mode);

	return name ? name : "unknown";
}

/* Everything but the model from a seed: the load and reset state. */
static void loop_init(struct ml_loop_dev *dev, uint64_t seed)
{
	ml_loop_sim_init(&dev->sim, seed);
	dev->rec_window = ML_LOOP_NO_WINDOW;
	dev->quality_milli = 1000;
	dev->efficiency_milli = 1000;
	dev->model.mode = ML_LIB_EMERGENCY_MODE;
}

/* --- lifecycle -------------------------------------------------------- */

int ml_loop_dev_load(struct ml_loop_dev *dev, struct mlc_host *host)
{
	uint64_t seed = 0;
	int err;

	mlc_memset(dev, 0, sizeof(*dev));
	err = ml_lib_model_create(&dev->model, host, ML_LOOP_MODEL_NAME);
	if (err)
		return err;
	ml_lib_model_init(&dev->model, host);
	mlc_get_random_bytes(host, &seed, sizeof(seed));
	loop_init(dev, seed);
	return 0;
}

void ml_loop_dev_unload(struct ml_loop_dev *dev, struct mlc_host *host)
{
	ml_lib_model_destroy(&dev->model, host);
}

void ml_loop_dev_reset(struct ml_loop_dev *dev, struct mlc_host *host)
{
	struct ml_lib_model model = dev->model;
	uint64_t seed = dev->sim.seed;

	/* Everything but the workload, which is last (and large). */
	mlc_memset(dev, 0, (size_t)((char *)&dev->workload - (char *)dev));
	dev->model = model;
	loop_init(dev, seed);
	dev->workload.staged = 0;
	dev->workload.stage_total = 0;
}

/* --- the read queue ----------------------------------------------------- */

static void loop_push(struct ml_loop_dev *dev, const void *rec)
{
	uint32_t slot;

	if (dev->q_count == ML_LOOP_QUEUE_LEN) {
		dev->q_head = (dev->q_head + 1) % ML_LOOP_QUEUE_LEN;
		dev->q_count--;
		dev->records_dropped++;
	}
	slot = (dev->q_head + dev->q_count) % ML_LOOP_QUEUE_LEN;
	mlc_memcpy(dev->queue[slot], rec, ML_LOOP_RECORD_SIZE);
	dev->q_count++;
}

long ml_loop_dev_read(struct ml_loop_dev *dev, struct mlc_host *host,
		      mlc_uptr dst, size_t count)
{
	size_t n, i;

	if (count < ML_LOOP_RECORD_SIZE)
		return -EINVAL;
	n = count / ML_LOOP_RECORD_SIZE;
	if (n > dev->q_count)
		n = dev->q_count;
	for (i = 0; i < n; i++) {
		if (mlc_copy_to_user(host, dst + i * ML_LOOP_RECORD_SIZE,
				     dev->queue[dev->q_head],
				     ML_LOOP_RECORD_SIZE))
			return i ? (long)(i * ML_LOOP_RECORD_SIZE) : -EFAULT;
		dev->q_head = (dev->q_head + 1) % ML_LOOP_QUEUE_LEN;
		dev->q_count--;
	}
	return (long)(n * ML_LOOP_RECORD_SIZE);
}

/* --- recommendations ---------------------------------------------------- */

static long loop_refuse(struct ml_loop_dev *dev)
{
	dev->rec_refused++;
	return -EINVAL;
}

/* The header of record i; a warning with `what` refused for a bad one. */
static int loop_check_header(struct mlc_host *host, const char *what,
			     const struct ml_loop_header *h, uint16_t type,
			     size_t i)
{
	if (h->magic != ML_LOOP_RECORD_MAGIC) {
		mlc_printk(host, MLC_KERN_WARNING,
			   LOOP_PFX "%s refused: bad magic 0x%08x (record %zu)\n",
			   what, (unsigned int)h->magic, i);
		return -EINVAL;
	}
	if (h->type != type) {
		mlc_printk(host, MLC_KERN_WARNING,
			   LOOP_PFX "%s refused: bad type %u (record %zu)\n",
			   what, (unsigned int)h->type, i);
		return -EINVAL;
	}
	if (h->size != ML_LOOP_RECORD_SIZE) {
		mlc_printk(host, MLC_KERN_WARNING,
			   LOOP_PFX "%s refused: bad size %u (record %zu)\n",
			   what, (unsigned int)h->size, i);
		return -EINVAL;
	}
	return 0;
}

#define POLICY_REFUSED(host, fmt, ...)					\
	mlc_printk(host, MLC_KERN_WARNING,				\
		   LOOP_PFX "policy refused: " fmt "\n", ##__VA_ARGS__)

/* One node of record rec, index idx of a tree of nc nodes. */
static int loop_check_node(struct mlc_host *host,
			   const struct ml_loop_policy_node *n, uint32_t idx,
			   uint32_t nc, size_t rec)
{
	if (n->reserved) {
		POLICY_REFUSED(host, "node %u reserved byte %u not 0 (record %zu)",
			       idx, (unsigned int)n->reserved, rec);
		return -EINVAL;
	}
	if (n->feature == ML_LOOP_POLICY_LEAF) {
		if (n->value > ML_LOOP_MAX_WINDOW) {
			POLICY_REFUSED(host, "node %u window %u above %d (record %zu)",
				       idx, (unsigned int)n->value,
				       ML_LOOP_MAX_WINDOW, rec);
			return -EINVAL;
		}
		if (n->left || n->right) {
			POLICY_REFUSED(host, "leaf %u has children %u, %u (record %zu)",
				       idx, (unsigned int)n->left,
				       (unsigned int)n->right, rec);
			return -EINVAL;
		}
		return 0;
	}
	if (n->feature >= ML_LOOP_F_COUNT) {
		POLICY_REFUSED(host, "node %u feature %u unknown (record %zu)",
			       idx, (unsigned int)n->feature, rec);
		return -EINVAL;
	}
	if (n->left <= idx || n->right <= idx) {
		POLICY_REFUSED(host, "node %u child %u not after it (record %zu)",
			       idx, (unsigned int)(n->left <= idx ? n->left : n->right),
			       rec);
		return -EINVAL;
	}
	if (n->left >= nc || n->right >= nc) {
		POLICY_REFUSED(host, "node %u child %u beyond node_count %u (record %zu)",
			       idx, (unsigned int)(n->left >= nc ? n->left : n->right),
			       nc, rec);
		return -EINVAL;
	}
	return 0;
}

/* The depth of the reachable nodes (children come after their parent). */
static int loop_check_depth(struct mlc_host *host, const struct ml_loop_tree *t)
{
	uint8_t depth[ML_LOOP_POLICY_MAX_NODES];
	uint32_t i;

	mlc_memset(depth, 0, sizeof(depth));
	depth[0] = 1;
	for (i = 0; i < t->node_count; i++) {
		const struct ml_loop_policy_node *n = &t->nodes[i];

		if (!depth[i] || n->feature == ML_LOOP_POLICY_LEAF)
			continue;	/* unreachable, or a leaf */
		if (depth[i] >= ML_LOOP_POLICY_MAX_DEPTH) {
			POLICY_REFUSED(host, "depth above %d at node %u",
				       ML_LOOP_POLICY_MAX_DEPTH, i);
			return -EINVAL;
		}
		if (depth[n->left] < depth[i] + 1)
			depth[n->left] = depth[i] + 1;
		if (depth[n->right] < depth[i] + 1)
			depth[n->right] = depth[i] + 1;
	}
	return 0;
}

/* A POLICY write of n records: staged and checked, then in force. */
static long loop_write_policy(struct ml_loop_dev *dev, struct mlc_host *host,
			      mlc_uptr src, size_t n)
{
	struct ml_loop_tree *t = &dev->policy_stage;
	struct ml_loop_policy p;
	uint32_t nc = 0, want, j;
	size_t i;

	for (i = 0; i < n; i++) {
		if (mlc_copy_from_user(host, &p, src + i * ML_LOOP_RECORD_SIZE,
				       sizeof(p)))
			return -EFAULT;
		if (loop_check_header(host, "policy", &p.hdr,
				      ML_LOOP_REC_POLICY, i))
			return loop_refuse(dev);
		if (i == 0) {
			nc = p.node_count;
			if (nc < 1 || nc > ML_LOOP_POLICY_MAX_NODES) {
				POLICY_REFUSED(host, "node_count %u outside 1..%d (record 0)",
					       nc, ML_LOOP_POLICY_MAX_NODES);
				return loop_refuse(dev);
			}
			want = (nc + ML_LOOP_POLICY_NODES_PER_REC - 1) /
			       ML_LOOP_POLICY_NODES_PER_REC;
			if (n != want) {
				POLICY_REFUSED(host, "%zu records for %u nodes (%u needed)",
					       n, nc, want);
				return loop_refuse(dev);
			}
			mlc_memset(t, 0, sizeof(*t));
			t->node_count = nc;
		} else if (p.node_count != nc) {
			POLICY_REFUSED(host, "node_count %u differs from %u (record %zu)",
				       (unsigned int)p.node_count, nc, i);
			return loop_refuse(dev);
		}
		if (p.first_node != i * ML_LOOP_POLICY_NODES_PER_REC) {
			POLICY_REFUSED(host, "first_node %u should be %zu (record %zu)",
				       (unsigned int)p.first_node,
				       i * ML_LOOP_POLICY_NODES_PER_REC, i);
			return loop_refuse(dev);
		}
		want = nc - p.first_node;
		if (want > ML_LOOP_POLICY_NODES_PER_REC)
			want = ML_LOOP_POLICY_NODES_PER_REC;
		if (p.nodes_here != want) {
			POLICY_REFUSED(host, "nodes_here %u should be %u (record %zu)",
				       (unsigned int)p.nodes_here, want, i);
			return loop_refuse(dev);
		}
		if (p.reserved) {
			POLICY_REFUSED(host, "reserved 0x%04x not 0 (record %zu)",
				       (unsigned int)p.reserved, i);
			return loop_refuse(dev);
		}
		for (j = 0; j < want; j++) {
			uint32_t idx = p.first_node + j;

			if (loop_check_node(host, &p.nodes[j], idx, nc, i))
				return loop_refuse(dev);
			t->nodes[idx] = p.nodes[j];
		}
	}
	if (loop_check_depth(host, t))
		return loop_refuse(dev);

	/* The recommendation in force from the next epoch on. */
	dev->sim.policy = *t;
	dev->rec_window = ML_LOOP_POLICY_WINDOW;
	dev->rec_confidence = 0;
	dev->epochs_since_rec = 0;
	dev->rec_accepted += n;
	return (long)(n * ML_LOOP_RECORD_SIZE);
}

long ml_loop_dev_write(struct ml_loop_dev *dev, struct mlc_host *host,
		       mlc_uptr src, size_t count)
{
	struct ml_loop_recommendation r;
	uint32_t window = ML_LOOP_NO_WINDOW, confidence = 0;
	size_t n, i;

	if (count % ML_LOOP_RECORD_SIZE) {
		mlc_printk(host, MLC_KERN_WARNING,
			   LOOP_PFX "recommendation refused: length %zu is not a multiple of %d\n",
			   count, ML_LOOP_RECORD_SIZE);
		return loop_refuse(dev);
	}
	n = count / ML_LOOP_RECORD_SIZE;
	if (n == 0)
		return 0;

	/* Every record is checked before any takes effect. */
	for (i = 0; i < n; i++) {
		if (mlc_copy_from_user(host, &r, src + i * ML_LOOP_RECORD_SIZE,
				       sizeof(r)))
			return -EFAULT;
		/* A write that starts with a POLICY record is one policy. */
		if (i == 0 && r.hdr.magic == ML_LOOP_RECORD_MAGIC &&
		    r.hdr.type == ML_LOOP_REC_POLICY)
			return loop_write_policy(dev, host, src, n);
		if (loop_check_header(host, "recommendation", &r.hdr,
				      ML_LOOP_REC_RECOMMENDATION, i))
			return loop_refuse(dev);
		if (r.window > ML_LOOP_MAX_WINDOW) {
			mlc_printk(host, MLC_KERN_WARNING,
				   LOOP_PFX "recommendation refused: window %u above %d (record %zu)\n",
				   (unsigned int)r.window, ML_LOOP_MAX_WINDOW, i);
			return loop_refuse(dev);
		}
		window = r.window;
		confidence = r.confidence_permille;
	}

	/* The last record wins, from the next epoch on. */
	dev->rec_window = window;
	dev->rec_confidence = confidence;
	dev->epochs_since_rec = 0;
	dev->rec_accepted += n;
	return (long)count;
}

long ml_loop_dev_ioctl(struct ml_loop_dev *dev, struct mlc_host *host,
		       unsigned int cmd, mlc_uptr arg)
{
	uint32_t pending;

	switch (cmd) {
	case ML_LOOP_IOCPENDING:
		pending = dev->q_count;
		if (mlc_copy_to_user(host, arg, &pending, sizeof(pending)))
			return -EFAULT;
		return 0;
	default:
		return -ENOTTY;
	}
}

int ml_loop_dev_ioctl_copy(unsigned int cmd, struct mlc_ioctl_copy *copy)
{
	switch (cmd) {
	case ML_LOOP_IOCPENDING:
		*copy = MLC_IOCTL_COPY(0, sizeof(uint32_t));
		return 0;
	default:
		return -ENOTTY;
	}
}

/* --- the workload ------------------------------------------------------ */

#define WL_HDR	((uint32_t)sizeof(struct ml_loop_trace_header))
#define WL_RUN	((uint32_t)sizeof(struct ml_loop_trace_run))

/* Discards the staged bytes; -EINVAL (the caller logged why). */
static long wl_refuse(struct ml_loop_dev *dev)
{
	dev->workload.staged = 0;
	dev->workload.stage_total = 0;
	return -EINVAL;
}

#define wl_warn(dev, host, fmt, ...)					\
	(mlc_printk(host, MLC_KERN_WARNING,				\
		    LOOP_PFX "workload refused: " fmt "\n", ##__VA_ARGS__), \
	 wl_refuse(dev))

/* `synthetic` or `synthetic\n`, exactly. */
static bool wl_is_synthetic(const char *buf, size_t count)
{
	static const char word[] = ML_LOOP_WORKLOAD_SYNTHETIC;
	const size_t n = sizeof(word) - 1;
	size_t i;

	if (count != n && !(count == n + 1 && buf[n] == '\n'))
		return false;
	for (i = 0; i < n; i++)
		if (buf[i] != word[i])
			return false;
	return true;
}

/* A new trace's header (count >= 32 bytes at offset 0); 0 or -EINVAL. */
static long wl_check_header(struct ml_loop_dev *dev, struct mlc_host *host,
			    const struct ml_loop_trace_header *h)
{
	if (h->magic != ML_LOOP_TRACE_MAGIC)
		return wl_warn(dev, host, "bad magic 0x%08x",
			       (unsigned int)h->magic);
	if (h->version != ML_LOOP_TRACE_VERSION)
		return wl_warn(dev, host, "version %u (only %d)",
			       (unsigned int)h->version, ML_LOOP_TRACE_VERSION);
	if (h->header_size != WL_HDR)
		return wl_warn(dev, host, "header size %u (only %u)",
			       (unsigned int)h->header_size, WL_HDR);
	if (h->file_pages < 1 || h->file_pages > ML_LOOP_TRACE_MAX_FILE_PAGES)
		return wl_warn(dev, host, "file_pages %u outside 1..%u",
			       (unsigned int)h->file_pages,
			       ML_LOOP_TRACE_MAX_FILE_PAGES);
	if (h->run_count < 1 || h->run_count > ML_LOOP_TRACE_MAX_RUNS)
		return wl_warn(dev, host, "run_count %u outside 1..%d",
			       (unsigned int)h->run_count, ML_LOOP_TRACE_MAX_RUNS);
	if (h->total_bytes != (uint64_t)WL_HDR + (uint64_t)WL_RUN * h->run_count)
		return wl_warn(dev, host, "total_bytes %llu is not %u + %u * %u",
			       (unsigned long long)h->total_bytes, WL_HDR, WL_RUN,
			       (unsigned int)h->run_count);
	if (h->reserved[0] || h->reserved[1])
		return wl_warn(dev, host, "reserved field not 0");
	return 0;
}

/* The complete staged trace: every run checked, then put in force. */
static long wl_install(struct ml_loop_dev *dev, struct mlc_host *host)
{
	struct ml_loop_workload_store *w = &dev->workload;
	struct ml_loop_trace_header h;
	struct ml_loop_trace_run r;
	uint32_t i;

	mlc_memcpy(&h, w->stage, sizeof(h));
	for (i = 0; i < h.run_count; i++) {
		mlc_memcpy(&r, w->stage + WL_HDR + i * WL_RUN, sizeof(r));
		if (r.pages < 1 || r.pages > ML_LOOP_TRACE_MAX_RUN_PAGES)
			return wl_warn(dev, host, "run %u: %u pages outside 1..%d",
				       (unsigned int)i, (unsigned int)r.pages,
				       ML_LOOP_TRACE_MAX_RUN_PAGES);
		if (r.first_page >= h.file_pages ||
		    r.pages > h.file_pages - r.first_page)
			return wl_warn(dev, host,
				       "run %u: pages %u..%llu beyond the file's %u pages",
				       (unsigned int)i, (unsigned int)r.first_page,
				       (unsigned long long)r.first_page + r.pages - 1,
				       (unsigned int)h.file_pages);
	}
	mlc_memcpy(w->runs, w->stage + WL_HDR, (size_t)h.run_count * WL_RUN);
	w->file_pages = h.file_pages;
	w->run_count = h.run_count;
	w->active = 1;
	w->staged = 0;
	w->stage_total = 0;
	ml_loop_sim_rewind(&dev->sim);
	mlc_printk(host, MLC_KERN_INFO,
		   LOOP_PFX "workload trace of %u runs over %u pages\n",
		   (unsigned int)h.run_count, (unsigned int)h.file_pages);
	return 0;
}

long ml_loop_dev_workload_write(struct ml_loop_dev *dev, struct mlc_host *host,
				const char *buf, size_t count, int64_t off)
{
	struct ml_loop_workload_store *w = &dev->workload;

	/* kernfs hands a bin attribute at most one page per call. */
	if (count > ML_LOOP_TRACE_CHUNK)
		count = ML_LOOP_TRACE_CHUNK;
	if (count == 0)
		return 0;

	if (off == 0) {
		w->staged = 0;
		w->stage_total = 0;
		if (wl_is_synthetic(buf, count)) {
			w->active = 0;
			mlc_printk(host, MLC_KERN_INFO,
				   LOOP_PFX "workload synthetic\n");
			return (long)count;
		}
		if (count < WL_HDR)
			return wl_warn(dev, host, "truncated: %zu of %u header bytes",
				       count, WL_HDR);
		{
			struct ml_loop_trace_header h;
			long err;

			mlc_memcpy(&h, buf, sizeof(h));
			err = wl_check_header(dev, host, &h);
			if (err)
				return err;
			w->stage_total = (uint32_t)h.total_bytes;
		}
	} else if (!w->stage_total || off != (int64_t)w->staged) {
		return wl_warn(dev, host, "chunk at offset %lld, expected %u",
			       (long long)off, w->stage_total ? w->staged : 0u);
	}

	if (count > w->stage_total - w->staged)
		return wl_warn(dev, host, "chunk of %zu bytes at offset %lld passes total_bytes %u",
			       count, (long long)off, w->stage_total);
	mlc_memcpy(w->stage + w->staged, buf, count);
	w->staged += (uint32_t)count;

	if (w->staged == w->stage_total) {
		long err = wl_install(dev, host);

		return err ? err : (long)count;
	}
	if (count < ML_LOOP_TRACE_CHUNK)
		return wl_warn(dev, host, "truncated: %u of %u bytes",
			       w->staged, w->stage_total);
	return (long)count;
}

long ml_loop_dev_workload_store(void *priv, struct mlc_host *host,
				const char *buf, size_t count, int64_t off)
{
	return ml_loop_dev_workload_write(priv, host, buf, count, off);
}

/* --- the mode policy ---------------------------------------------------- */

static const uint32_t loop_promote_milli[ML_LIB_MODE_MAX] = {
	[ML_LIB_EMERGENCY_MODE] = ML_LOOP_E_PROMOTE1_MILLI,
	[ML_LIB_LEARNING_MODE] = ML_LOOP_E_PROMOTE2_MILLI,
	[ML_LIB_COLLABORATION_MODE] = ML_LOOP_E_PROMOTE3_MILLI,
};

static const uint32_t loop_promote_epochs[ML_LIB_MODE_MAX] = {
	[ML_LIB_EMERGENCY_MODE] = ML_LOOP_PROMOTE1_EPOCHS,
	[ML_LIB_LEARNING_MODE] = ML_LOOP_PROMOTE2_EPOCHS,
	[ML_LIB_COLLABORATION_MODE] = ML_LOOP_PROMOTE3_EPOCHS,
};

static void loop_restart_counters(struct ml_loop_dev *dev)
{
	dev->high_epochs = 0;
	dev->low_epochs = 0;
}

static void loop_set_mode(struct ml_loop_dev *dev, struct mlc_host *host,
			  uint32_t mode)
{
	uint32_t e = dev->quality_milli;

	mlc_printk(host, MLC_KERN_INFO,
		   LOOP_PFX "mode %s -> %s (efficiency %u.%03u)\n",
		   loop_mode_name(dev->model.mode), loop_mode_name(mode),
		   e / 1000, e % 1000);
	dev->model.mode = mode;
	dev->mode_changes++;
	loop_restart_counters(dev);
}

/* Straight to EMERGENCY; the counters restart even when already there. */
static void loop_fallback(struct ml_loop_dev *dev, struct mlc_host *host,
			  bool dead_agent, uint32_t q)
{
	if (dev->model.mode != ML_LIB_EMERGENCY_MODE) {
		if (dead_agent)
			mlc_printk(host, MLC_KERN_WARNING,
				   LOOP_PFX "fallback to emergency: no recommendation for %d epochs\n",
				   ML_LOOP_DEAD_AGENT_EPOCHS);
		else
			mlc_printk(host, MLC_KERN_WARNING,
				   LOOP_PFX "fallback to emergency: recommendation quality %u.%03u below %u.%03u\n",
				   q / 1000, q % 1000,
				   ML_LOOP_Q_FALLBACK_MILLI / 1000,
				   ML_LOOP_Q_FALLBACK_MILLI % 1000);
		loop_set_mode(dev, host, ML_LIB_EMERGENCY_MODE);
		dev->fallbacks++;
	}
	loop_restart_counters(dev);
}

int ml_loop_dev_policy(struct ml_loop_dev *dev, struct mlc_host *host,
		       bool has_rec, uint32_t q_milli)
{
	uint32_t mode = dev->model.mode;
	bool stale;
	uint32_t e;

	if (mode < ML_LIB_EMERGENCY_MODE || mode > ML_LIB_RECOMMENDATION_MODE)
		mode = dev->model.mode = ML_LIB_EMERGENCY_MODE;
	if (has_rec)
		dev->quality_milli = loop_ewma(dev->quality_milli, q_milli);
	e = dev->quality_milli;
	if (dev->epochs_since_rec < ML_LOOP_DEAD_AGENT_EPOCHS)
		dev->epochs_since_rec++;
	stale = dev->epochs_since_rec >= ML_LOOP_DEAD_AGENT_EPOCHS;

	/* The fallback first: it overrides everything else. */
	if (has_rec && q_milli < ML_LOOP_Q_FALLBACK_MILLI) {
		loop_fallback(dev, host, false, q_milli);
		return ML_LOOP_FALLBACK_QUALITY;
	}
	if (mode != ML_LIB_EMERGENCY_MODE && stale) {
		loop_fallback(dev, host, true, q_milli);
		return ML_LOOP_FALLBACK_DEAD_AGENT;
	}

	/* Demotion, one level, after DEMOTE_EPOCHS epochs of e < 1.000. */
	if (e < ML_LOOP_E_DEMOTE_MILLI)
		dev->low_epochs++;
	else
		dev->low_epochs = 0;
	if (dev->low_epochs >= ML_LOOP_DEMOTE_EPOCHS &&
	    mode > ML_LIB_EMERGENCY_MODE) {
		loop_set_mode(dev, host, mode - 1);
		return ML_LOOP_DEMOTED;
	}

	/* Promotion, one level, with a live agent's recommendation. */
	if (mode < ML_LIB_RECOMMENDATION_MODE && has_rec && !stale &&
	    e >= loop_promote_milli[mode])
		dev->high_epochs++;
	else
		dev->high_epochs = 0;
	if (mode < ML_LIB_RECOMMENDATION_MODE &&
	    dev->high_epochs >= loop_promote_epochs[mode]) {
		loop_set_mode(dev, host, mode + 1);
		return ML_LOOP_PROMOTED;
	}
	return ML_LOOP_HOLD;
}

/* --- the loop ----------------------------------------------------------- */

static void loop_header(struct ml_loop_header *h, uint16_t type,
			uint64_t epoch)
{
	h->magic = ML_LOOP_RECORD_MAGIC;
	h->type = type;
	h->size = ML_LOOP_RECORD_SIZE;
	h->epoch = epoch;
}

static void loop_epoch(struct ml_loop_dev *dev, struct mlc_host *host)
{
	struct ml_loop_epoch ep;
	struct ml_loop_dataset ds;
	struct ml_loop_feedback fb;
	bool has_rec = dev->rec_window != ML_LOOP_NO_WINDOW;
	uint32_t q = 0, eff;

	if (dev->workload.active)
		ml_loop_sim_replay(&dev->sim, dev->workload.runs,
				   dev->workload.run_count,
				   dev->workload.file_pages);
	ml_loop_sim_epoch(&dev->sim, dev->model.mode, dev->rec_window, &ep);
	eff = ml_loop_ratio_milli(ep.cost_default, ep.cost_actual);
	if (has_rec)
		q = ml_loop_ratio_milli(ep.cost_default, ep.cost_recommended);
	dev->efficiency_milli = loop_ewma(dev->efficiency_milli, eff);

	dev->epochs++;
	dev->misses += ep.misses;
	dev->applied_misses += ep.applied;
	dev->cost_default += ep.cost_default;
	dev->cost_recommended += ep.cost_recommended;
	dev->cost_actual += ep.cost_actual;
	dev->cost_best += ep.cost_best;
	dev->guard_trips += ep.guard_tripped;

	mlc_memset(&ds, 0, sizeof(ds));
	loop_header(&ds.hdr, ML_LOOP_REC_DATASET, ep.epoch);
	ds.accesses = ep.accesses;
	ds.seq_permille = ep.continued * 1000 / ep.accesses;
	ds.mean_run_x100 = ep.accesses * 100 / ep.runs;
	ds.distinct_permille = ep.distinct * 1000 / ep.accesses;
	ds.default_window = ep.default_window;
	ds.best_window = ep.best_window;
	ds.phase_hint = 0;
	loop_push(dev, &ds);

	mlc_memset(&fb, 0, sizeof(fb));
	loop_header(&fb.hdr, ML_LOOP_REC_FEEDBACK, ep.epoch);
	fb.mode = ep.mode;
	fb.applied_permille = ep.misses ? ep.applied * 1000 / ep.misses : 0;
	fb.recommended_window = ep.rec_window;
	fb.best_window = ep.best_window;
	fb.cost_default = ep.cost_default;
	fb.cost_recommended = ep.cost_recommended;
	fb.cost_actual = ep.cost_actual;
	/* A policy has no one window to compare: error 0. */
	fb.error = has_rec && ep.rec_window != ML_LOOP_POLICY_WINDOW ?
		   (int32_t)ep.rec_window - (int32_t)ep.best_window : 0;
	fb.efficiency_milli = eff;
	loop_push(dev, &fb);

	ml_loop_dev_policy(dev, host, has_rec, q);
}

static bool loop_steppable(const struct ml_loop_dev *dev)
{
	return dev->model.state == ML_LIB_MODEL_STARTED ||
	       dev->model.state == ML_LIB_MODEL_RUNNING;
}

int ml_loop_dev_step_epoch(struct ml_loop_dev *dev, struct mlc_host *host)
{
	if (!loop_steppable(dev))
		return -EAGAIN;
	loop_epoch(dev, host);
	return 0;
}

int ml_loop_dev_step(struct ml_loop_dev *dev, struct mlc_host *host,
		     uint32_t n)
{
	uint32_t i;

	if (n < 1 || n > ML_LOOP_STEP_MAX)
		return -EINVAL;
	if (!loop_steppable(dev))
		return -EAGAIN;
	for (i = 0; i < n; i++)
		loop_epoch(dev, host);
	return 0;
}

/* --- sysfs `control` ---------------------------------------------------- */

/* prepare_dataset: the dataset is the records waiting in the queue. */
static int loop_extract(void *priv, struct mlc_host *host,
			struct ml_lib_dataset *ds)
{
	struct ml_loop_dev *dev = priv;

	ds->type = ML_LIB_MEMORY_STREAM_DATASET;
	ds->allocated_size = sizeof(dev->queue);
	ds->portion_offset = 0;
	ds->portion_size = (uint64_t)dev->q_count * ML_LOOP_RECORD_SIZE;
	return 0;
}

const struct ml_lib_dataset_ops ml_loop_dev_dataset_ops = {
	.extract = loop_extract,
};

static bool loop_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/*
 * "step N": the word, at least one blank, decimal N in 1..STEP_MAX, blanks
 * or a newline, then the end of the write or a NUL.
 */
static int loop_parse_step(const char *buf, size_t count, uint32_t *n)
{
	size_t i = sizeof(ML_LIB_CMD_STEP) - 1;
	uint32_t v = 0;
	size_t digits = 0;

	if (count <= i || (buf[i] != ' ' && buf[i] != '\t'))
		return -EINVAL;
	while (i < count && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	for (; i < count && buf[i] >= '0' && buf[i] <= '9'; i++, digits++) {
		v = v * 10 + (uint32_t)(buf[i] - '0');
		if (v > ML_LOOP_STEP_MAX)
			v = ML_LOOP_STEP_MAX + 1;	/* too big; keep no more */
	}
	while (i < count && loop_blank(buf[i]))
		i++;
	if (!digits || (i < count && buf[i] != '\0'))
		return -EINVAL;
	if (v < 1 || v > ML_LOOP_STEP_MAX)
		return -EINVAL;
	*n = v;
	return 0;
}

long ml_loop_dev_control_store(void *priv, struct mlc_host *host,
			       const char *buf, size_t count)
{
	struct ml_loop_control ctl = { .dev = priv, .steps = 0 };
	long ret = ml_loop_dev_control_store_deferred(&ctl, host, buf, count);
	int err = 0;
	uint32_t i;

	for (i = 0; ret >= 0 && i < ctl.steps && !err; i++)
		err = ml_loop_dev_step_epoch(ctl.dev, host);
	return err ? err : ret;
}

long ml_loop_dev_control_store_deferred(void *priv, struct mlc_host *host,
					const char *buf, size_t count)
{
	struct ml_loop_control *ctl = priv;
	struct ml_loop_dev *dev = ctl->dev;
	int cmd = ml_lib_model_parse_control_ext(buf, count);
	uint32_t n = 0;
	int err = 0;

	ctl->steps = 0;

	switch (cmd) {
	case ML_LIB_CONTROL_START:
		/* The loop implements start: no v1 "TODO" line. */
		dev->model.state = ML_LIB_MODEL_STARTED;
		break;
	case ML_LIB_CONTROL_STOP:
		dev->model.state = ML_LIB_MODEL_STOPPED;
		break;
	case ML_LIB_CONTROL_PREPARE_DATASET:
		err = ml_lib_model_get_dataset(&dev->model, host,
					       &ml_loop_dev_dataset_ops, dev);
		break;
	case ML_LIB_CONTROL_DISCARD_DATASET:
		err = ml_lib_model_discard_dataset(&dev->model, host);
		break;
	case ML_LIB_CONTROL_STEP:
		err = loop_parse_step(buf, count, &n);
		if (!err && !loop_steppable(dev))
			err = -EAGAIN;
		if (!err)
			ctl->steps = n;
		break;
	case ML_LIB_CONTROL_RESET:
		ml_loop_dev_reset(dev, host);
		break;
	default:
		return cmd;	/* -EOPNOTSUPP */
	}
	if (err)
		return err;
	return (long)count;
}

/* --- renderings ------------------------------------------------------- */

size_t ml_loop_dev_show_mode(const struct ml_loop_dev *dev, char *buf,
			     size_t size)
{
	struct mlc_text t;

	mlc_text_init(&t, buf, size);
	mlc_text_printf(&t, "%s\n", loop_mode_name(dev->model.mode));
	return t.len;
}

size_t ml_loop_dev_show_state(const struct ml_loop_dev *dev, char *buf,
			      size_t size)
{
	const char *name = ml_lib_model_state_name(dev->model.state);
	struct mlc_text t;

	mlc_text_init(&t, buf, size);
	mlc_text_printf(&t, "%s\n", name ? name : "unknown");
	return t.len;
}

size_t ml_loop_dev_show_efficiency(const struct ml_loop_dev *dev, char *buf,
				   size_t size)
{
	struct mlc_text t;

	mlc_text_init(&t, buf, size);
	mlc_text_printf(&t, "%u.%03u\n", dev->efficiency_milli / 1000,
			 dev->efficiency_milli % 1000);
	return t.len;
}

size_t ml_loop_dev_show_stats(const struct ml_loop_dev *dev, char *buf,
			      size_t size)
{
	uint32_t total = ml_loop_ratio_milli(dev->cost_default,
					     dev->cost_actual);
	struct mlc_text t;

	mlc_text_init(&t, buf, size);
	mlc_text_printf(&t, "epochs: %llu\n", (unsigned long long)dev->epochs);
	mlc_text_printf(&t, "misses: %llu\n", (unsigned long long)dev->misses);
	mlc_text_printf(&t, "applied_misses: %llu\n",
			 (unsigned long long)dev->applied_misses);
	mlc_text_printf(&t, "cost_default: %llu\n",
			 (unsigned long long)dev->cost_default);
	mlc_text_printf(&t, "cost_recommended: %llu\n",
			 (unsigned long long)dev->cost_recommended);
	mlc_text_printf(&t, "cost_actual: %llu\n",
			 (unsigned long long)dev->cost_actual);
	mlc_text_printf(&t, "cost_best: %llu\n",
			 (unsigned long long)dev->cost_best);
	mlc_text_printf(&t, "efficiency_total_milli: %u\n", total);
	mlc_text_printf(&t, "quality_milli: %u\n",
			 (unsigned int)dev->quality_milli);
	mlc_text_printf(&t, "recommendations_accepted: %llu\n",
			 (unsigned long long)dev->rec_accepted);
	mlc_text_printf(&t, "recommendations_refused: %llu\n",
			 (unsigned long long)dev->rec_refused);
	mlc_text_printf(&t, "mode_changes: %llu\n",
			 (unsigned long long)dev->mode_changes);
	mlc_text_printf(&t, "fallbacks: %llu\n",
			 (unsigned long long)dev->fallbacks);
	mlc_text_printf(&t, "guard_trips: %llu\n",
			 (unsigned long long)dev->guard_trips);
	mlc_text_printf(&t, "records_pending: %u\n",
			 (unsigned int)dev->q_count);
	mlc_text_printf(&t, "records_dropped: %llu\n",
			 (unsigned long long)dev->records_dropped);
	return t.len;
}

size_t ml_loop_dev_show_dev(unsigned int major, char *buf, size_t size)
{
	struct mlc_text t;

	mlc_text_init(&t, buf, size);
	mlc_text_printf(&t, "%u:%u\n", major, ML_LOOP_DEV_MINOR);
	return t.len;
}

void ml_loop_dev_copy_shown(struct ml_loop_dev *dst,
			    const struct ml_loop_dev *src)
{
	dst->model = src->model;
	dst->rec_window = src->rec_window;
	dst->rec_confidence = src->rec_confidence;
	dst->epochs_since_rec = src->epochs_since_rec;
	dst->quality_milli = src->quality_milli;
	dst->efficiency_milli = src->efficiency_milli;
	dst->high_epochs = src->high_epochs;
	dst->low_epochs = src->low_epochs;
	dst->epochs = src->epochs;
	dst->misses = src->misses;
	dst->applied_misses = src->applied_misses;
	dst->cost_default = src->cost_default;
	dst->cost_recommended = src->cost_recommended;
	dst->cost_actual = src->cost_actual;
	dst->cost_best = src->cost_best;
	dst->rec_accepted = src->rec_accepted;
	dst->rec_refused = src->rec_refused;
	dst->mode_changes = src->mode_changes;
	dst->fallbacks = src->fallbacks;
	dst->guard_trips = src->guard_trips;
	dst->records_dropped = src->records_dropped;
	dst->q_head = src->q_head;
	dst->q_count = src->q_count;
}
