// SPDX-License-Identifier: GPL-2.0
/*
 * Bounds of device states read back from shared storage (mlc_state_check.h).
 */
#include "mlc_state_check.h"

/* Evaluates to the field's name when cond does not hold. */
#define CHECK(cond, field)		\
	do {				\
		if (!(cond))		\
			return field;	\
	} while (0)

const char *mlcore_dev_check(const struct mlcore_dev *dev)
{
	CHECK(dev->hist_index >= 0 && dev->hist_index < MLCORE_HISTORY_SIZE,
	      "mlcore.hist_index");
	CHECK(dev->hist_count >= 0 && dev->hist_count <= MLCORE_HISTORY_SIZE,
	      "mlcore.hist_count");
	CHECK(dev->train_count >= 0 &&
	      dev->train_count <= MLCORE_MAX_TRAINING_ENTRIES,
	      "mlcore.train_count");
	return NULL;
}

const char *ml_lib_model_check(const struct ml_lib_model *model)
{
	unsigned int i;
	bool terminated = false;

	for (i = 0; i < ML_LIB_MODEL_NAME_MAX; i++)
		if (model->name[i] == '\0')
			terminated = true;
	CHECK(terminated, "model.name");
	CHECK(model->mode < ML_LIB_MODE_MAX, "model.mode");
	CHECK(model->state < ML_LIB_MODEL_STATE_MAX, "model.state");
	CHECK(model->dataset.type < ML_LIB_DATASET_TYPE_MAX, "model.dataset.type");
	CHECK(model->dataset.state < ML_LIB_DATASET_STATE_MAX,
	      "model.dataset.state");
	return NULL;
}

const char *ml_lib_test_dev_check(const struct ml_lib_test_dev *dev)
{
	CHECK(dev->data_size >= 0 && dev->data_size <= ML_LIB_TEST_BUFFER_SIZE,
	      "mllib.data_size");
	CHECK(dev->recommendations_size >= 0 &&
	      dev->recommendations_size <= ML_LIB_TEST_BUFFER_SIZE,
	      "mllib.recommendations_size");
	return ml_lib_model_check(&dev->model1);
}

static const char *ra_check(const struct ml_loop_ra *ra)
{
	unsigned int i;

	CHECK(ra->window <= ML_LOOP_MAX_WINDOW, "mlloop.sim.ra.window");
	CHECK(ra->next < ML_LOOP_CACHE_RANGES, "mlloop.sim.ra.next");
	for (i = 0; i < ML_LOOP_CACHE_RANGES; i++)
		CHECK(ra->start[i] <= ra->end[i] &&
		      ra->end[i] <= ML_LOOP_FILE_PAGES + ML_LOOP_MAX_WINDOW,
		      "mlloop.sim.ra.range");
	return NULL;
}

static const char *tree_check(const struct ml_loop_tree *t)
{
	unsigned int i;

	CHECK(t->node_count <= ML_LOOP_POLICY_MAX_NODES, "mlloop.policy.node_count");
	for (i = 0; i < t->node_count; i++)
		CHECK(t->nodes[i].feature != ML_LOOP_POLICY_LEAF ||
		      t->nodes[i].value <= ML_LOOP_MAX_WINDOW,
		      "mlloop.policy.nodes.value");
	return NULL;
}

/* The sliding window's ring and its open-addressing page table (at most
 * one key per access in the window, so probing always finds a free slot). */
static const char *feat_check(const struct ml_loop_feat *f)
{
	unsigned int i, used = 0;

	CHECK(f->head < ML_LOOP_EPOCH_ACCESSES, "mlloop.sim.feat.head");
	CHECK(f->n <= ML_LOOP_EPOCH_ACCESSES, "mlloop.sim.feat.n");
	for (i = 0; i < ML_LOOP_FEAT_SLOTS; i++)
		used += f->key[i] != 0;
	CHECK(used <= ML_LOOP_EPOCH_ACCESSES, "mlloop.sim.feat.key");
	return NULL;
}

const char *ml_loop_sim_check(const struct ml_loop_sim *sim)
{
	const struct ml_loop_workload *wl = &sim->wl;
	const char *bad;
	unsigned int i;

	CHECK(wl->phase < ML_LOOP_PHASE_MAX, "mlloop.sim.wl.phase");
	CHECK(wl->phase_left <= ML_LOOP_PHASE_MAX_EPOCHS, "mlloop.sim.wl.phase_left");
	CHECK(wl->nstreams <= ML_LOOP_MAX_STREAMS, "mlloop.sim.wl.nstreams");
	CHECK(wl->cur < ML_LOOP_MAX_STREAMS, "mlloop.sim.wl.cur");
	for (i = 0; i < ML_LOOP_MAX_STREAMS; i++)
		CHECK(wl->streams[i].pos < ML_LOOP_FILE_PAGES,
		      "mlloop.sim.wl.streams.pos");
	CHECK(wl->last_page < ML_LOOP_FILE_PAGES, "mlloop.sim.wl.last_page");
	CHECK(wl->replay_pages <= ML_LOOP_FILE_PAGES, "mlloop.sim.wl.replay_pages");
	for (i = 0; i < ML_LOOP_EPOCH_ACCESSES; i++)
		CHECK(sim->trace[i] < ML_LOOP_FILE_PAGES, "mlloop.sim.trace");
	bad = feat_check(&sim->feat);
	if (!bad)
		bad = tree_check(&sim->policy);
	if (!bad)
		bad = ra_check(&sim->def);
	if (!bad)
		bad = ra_check(&sim->rec);
	if (!bad)
		bad = ra_check(&sim->act);
	for (i = 0; !bad && i < ML_LOOP_NR_CANDIDATES; i++)
		bad = ra_check(&sim->cand[i]);
	return bad;
}

/* The trace in force: its runs are indexed by the replay, its pages read. */
static const char *workload_check(const struct ml_loop_workload_store *w)
{
	unsigned int i;

	CHECK(w->run_count <= ML_LOOP_TRACE_MAX_RUNS, "mlloop.workload.run_count");
	CHECK(w->file_pages <= ML_LOOP_FILE_PAGES, "mlloop.workload.file_pages");
	CHECK(w->staged <= ML_LOOP_TRACE_MAX_BYTES &&
	      w->stage_total <= ML_LOOP_TRACE_MAX_BYTES, "mlloop.workload.staged");
	if (!w->active)
		return NULL;
	CHECK(w->run_count > 0, "mlloop.workload.run_count");
	for (i = 0; i < w->run_count; i++)
		CHECK(w->runs[i].pages > 0 && w->runs[i].first_page < w->file_pages &&
		      w->runs[i].pages <= w->file_pages - w->runs[i].first_page,
		      "mlloop.workload.runs");
	return NULL;
}

const char *ml_loop_dev_check(const struct ml_loop_dev *dev)
{
	const char *bad = ml_lib_model_check(&dev->model);

	if (bad)
		return bad;
	CHECK(dev->rec_window <= ML_LOOP_MAX_WINDOW ||
	      dev->rec_window == ML_LOOP_NO_WINDOW ||
	      dev->rec_window == ML_LOOP_POLICY_WINDOW, "mlloop.rec_window");
	bad = tree_check(&dev->policy_stage);
	if (!bad)
		bad = workload_check(&dev->workload);
	if (bad)
		return bad;
	CHECK(dev->q_head < ML_LOOP_QUEUE_LEN, "mlloop.q_head");
	CHECK(dev->q_count <= ML_LOOP_QUEUE_LEN, "mlloop.q_count");
	return ml_loop_sim_check(&dev->sim);
}
