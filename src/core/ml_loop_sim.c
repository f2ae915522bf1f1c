// SPDX-License-Identifier: GPL-2.0
/*
 * The closed loop's simulated readahead subsystem; see ml_loop_sim.h and
 * docs/closed-loop.md.  Integer arithmetic only.
 */
#include "ml_loop_sim.h"

/* --- randomness --------------------------------------------------------- */

#define ML_LOOP_GOLDEN	0x9e3779b97f4a7c15ULL

static uint64_t ml_loop_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t ml_loop_splitmix64(uint64_t *state)
{
	*state += ML_LOOP_GOLDEN;
	return ml_loop_mix64(*state);
}

uint32_t ml_loop_rand_below(uint64_t *state, uint32_t n)
{
	uint64_t hi = ml_loop_splitmix64(state) >> 32;

	return (uint32_t)((hi * n) >> 32);
}

/* --- the cost model and the policies ------------------------------------ */

uint32_t ml_loop_candidate_window(unsigned int i)
{
	if (i == 0)
		return 0;
	if (i >= ML_LOOP_NR_CANDIDATES)
		i = ML_LOOP_NR_CANDIDATES - 1;
	return 1u << (i - 1);
}

uint32_t ml_loop_default_next_window(uint32_t cur, bool continues)
{
	if (!continues)
		return ML_LOOP_DEFAULT_MIN_WINDOW;
	if (cur >= ML_LOOP_DEFAULT_MAX_WINDOW / 2)
		return ML_LOOP_DEFAULT_MAX_WINDOW;
	return cur < ML_LOOP_DEFAULT_MIN_WINDOW / 2 ?
	       ML_LOOP_DEFAULT_MIN_WINDOW : cur * 2;
}

void ml_loop_ra_init(struct ml_loop_ra *ra)
{
	mlc_memset(ra, 0, sizeof(*ra));
	ra->window = ML_LOOP_DEFAULT_MIN_WINDOW;
	ra->file_pages = ML_LOOP_FILE_PAGES;
}

void ml_loop_ra_new_epoch(struct ml_loop_ra *ra)
{
	ra->cost = 0;
	ra->misses = 0;
	ra->pages = 0;
}

bool ml_loop_ra_hit(const struct ml_loop_ra *ra, uint32_t page)
{
	unsigned int i, slot = ra->next;

	/* Newest first: a stream's current range is the likely one. */
	for (i = 0; i < ML_LOOP_CACHE_RANGES; i++) {
		slot = slot ? slot - 1 : ML_LOOP_CACHE_RANGES - 1;
		if (page >= ra->start[slot] && page < ra->end[slot])
			return true;
	}
	return false;
}

void ml_loop_ra_read(struct ml_loop_ra *ra, uint32_t page, uint32_t window)
{
	uint32_t size = ra->file_pages ? ra->file_pages : ML_LOOP_FILE_PAGES;
	uint32_t end = page + window + 1;
	uint32_t pages;

	if (window >= size || end > size)
		end = size;
	pages = end - page;
	ra->start[ra->next] = page;
	ra->end[ra->next] = end;
	ra->next = (ra->next + 1) % ML_LOOP_CACHE_RANGES;
	ra->misses++;
	ra->pages += pages;
	ra->cost += ml_loop_miss_cost(pages);
}

uint32_t ml_loop_ra_access(struct ml_loop_ra *ra, uint32_t page,
			   bool continues, uint32_t window)
{
	if (ml_loop_ra_hit(ra, page))
		return ML_LOOP_NO_WINDOW;
	if (window == ML_LOOP_WINDOW_DEFAULT) {
		ra->window = ml_loop_default_next_window(ra->window, continues);
		window = ra->window;
	}
	ml_loop_ra_read(ra, page, window);
	return window;
}

uint64_t ml_loop_trace_cost(struct ml_loop_ra *ra, const uint32_t *trace,
			    uint32_t n, uint32_t window, uint32_t *windows)
{
	uint32_t i, w;

	ml_loop_ra_init(ra);
	for (i = 0; i < n; i++) {
		bool cont = i > 0 && trace[i] == trace[i - 1] + 1;

		w = ml_loop_ra_access(ra, trace[i], cont, window);
		if (windows)
			windows[i] = w;
	}
	return ra->cost;
}

uint32_t ml_loop_hindsight_best(const uint64_t cost[ML_LOOP_NR_CANDIDATES])
{
	unsigned int i, best = 0;

	for (i = 1; i < ML_LOOP_NR_CANDIDATES; i++) {
		if (cost[i] < cost[best])
			best = i;
	}
	return ml_loop_candidate_window(best);
}

bool ml_loop_miss_applies(uint64_t seed, uint64_t miss_no, uint32_t mode)
{
	uint64_t mask;

	switch (mode) {
	case ML_LIB_LEARNING_MODE:
		mask = 3;	/* 1 in 4 */
		break;
	case ML_LIB_COLLABORATION_MODE:
		mask = 1;	/* 1 in 2 */
		break;
	case ML_LIB_RECOMMENDATION_MODE:
		return true;
	default:
		return false;
	}
	return (ml_loop_mix64(seed ^ (miss_no * ML_LOOP_GOLDEN)) & mask) == 0;
}

bool ml_loop_guard_exceeded(uint64_t cost_recommended, uint64_t cost_default)
{
	return cost_recommended * 1000 >
	       cost_default * ML_LOOP_GUARD_PERMILLE + ML_LOOP_GUARD_SLACK * 1000;
}

/* --- the workload --------------------------------------------------------- */

static void ml_loop_new_run(struct ml_loop_workload *wl,
			    struct ml_loop_stream *s)
{
	s->pos = ml_loop_rand_below(&wl->rng,
				    ML_LOOP_FILE_PAGES - ML_LOOP_RUN_ROOM);
	if (wl->phase == ML_LOOP_PHASE_MIXED)
		s->left = ML_LOOP_MIXED_RUN_MIN +
			  ml_loop_rand_below(&wl->rng, ML_LOOP_MIXED_RUN_MAX -
						       ML_LOOP_MIXED_RUN_MIN + 1);
	else
		s->left = ML_LOOP_SEQ_RUN_MIN +
			  ml_loop_rand_below(&wl->rng, ML_LOOP_SEQ_RUN_MAX -
						       ML_LOOP_SEQ_RUN_MIN + 1);
}

static void ml_loop_new_phase(struct ml_loop_workload *wl)
{
	uint32_t i;

	wl->phase = ml_loop_rand_below(&wl->rng, ML_LOOP_PHASE_MAX);
	wl->phase_left = ML_LOOP_PHASE_MIN_EPOCHS +
			 ml_loop_rand_below(&wl->rng, ML_LOOP_PHASE_MAX_EPOCHS -
						      ML_LOOP_PHASE_MIN_EPOCHS + 1);
	wl->nstreams = 1;
	if (wl->phase == ML_LOOP_PHASE_SEQUENTIAL)
		wl->nstreams += ml_loop_rand_below(&wl->rng, ML_LOOP_MAX_STREAMS);
	wl->cur = 0;
	mlc_memset(wl->streams, 0, sizeof(wl->streams));
	if (wl->phase != ML_LOOP_PHASE_RANDOM) {
		for (i = 0; i < wl->nstreams; i++)
			ml_loop_new_run(wl, &wl->streams[i]);
	}
}

static uint32_t ml_loop_next_access(struct ml_loop_workload *wl)
{
	struct ml_loop_stream *s;
	uint32_t page;

	if (wl->phase == ML_LOOP_PHASE_RANDOM)
		return ml_loop_rand_below(&wl->rng, ML_LOOP_FILE_PAGES);

	if (wl->nstreams > 1 &&
	    ml_loop_rand_below(&wl->rng, ML_LOOP_SEQ_SWITCH_ONE_IN) == 0)
		wl->cur = ml_loop_rand_below(&wl->rng, wl->nstreams);
	s = &wl->streams[wl->cur];
	page = s->pos++;
	if (--s->left == 0)
		ml_loop_new_run(wl, s);
	return page;
}

void ml_loop_workload_epoch(struct ml_loop_workload *wl, uint32_t *trace,
			    uint32_t n)
{
	uint32_t i;

	if (wl->phase_left == 0)
		ml_loop_new_phase(wl);
	for (i = 0; i < n; i++)
		trace[i] = ml_loop_next_access(wl);
	wl->phase_left--;
}

/* --- policies ------------------------------------------------------------ */

void ml_loop_feat_init(struct ml_loop_feat *f)
{
	mlc_memset(f, 0, sizeof(*f));
}

static uint32_t feat_slot(uint32_t key)
{
	return (key * 2654435761u) >> (32 - 10);	/* 1024 slots */
}

/* The slot holding key, or the free slot where it would go. */
static uint32_t feat_find(const struct ml_loop_feat *f, uint32_t key)
{
	uint32_t slot = feat_slot(key);

	while (f->key[slot] && f->key[slot] != key)
		slot = (slot + 1) & (ML_LOOP_FEAT_SLOTS - 1);
	return slot;
}

/* Removes the key at slot, shifting back the probe chain after it. */
static void feat_delete(struct ml_loop_feat *f, uint32_t slot)
{
	const uint32_t mask = ML_LOOP_FEAT_SLOTS - 1;
	uint32_t next = slot;

	for (;;) {
		uint32_t home;

		next = (next + 1) & mask;
		if (!f->key[next])
			break;
		home = feat_slot(f->key[next]);
		/* Move it back unless its home lies in (slot, next]. */
		if (((next - home) & mask) >= ((next - slot) & mask)) {
			f->key[slot] = f->key[next];
			f->count[slot] = f->count[next];
			slot = next;
		}
	}
	f->key[slot] = 0;
	f->count[slot] = 0;
}

void ml_loop_feat_push(struct ml_loop_feat *f, uint32_t page, bool continues)
{
	uint32_t slot;

	if (f->n == ML_LOOP_EPOCH_ACCESSES) {
		/* The oldest access leaves the window. */
		slot = feat_find(f, f->page[f->head] + 1);
		f->continued -= f->cont[f->head];
		if (--f->count[slot] == 0) {
			feat_delete(f, slot);
			f->distinct--;
		}
	} else {
		f->n++;
	}
	f->page[f->head] = page;
	f->cont[f->head] = continues;
	f->head = (f->head + 1) % ML_LOOP_EPOCH_ACCESSES;
	f->continued += continues;
	slot = feat_find(f, page + 1);
	if (!f->key[slot]) {
		f->key[slot] = page + 1;
		f->distinct++;
	}
	f->count[slot]++;
	if (!continues)
		f->run_length = 1;
	else if (f->run_length < ML_LOOP_RUN_LENGTH_MAX)
		f->run_length++;
}

void ml_loop_feat_values(const struct ml_loop_feat *f, uint32_t default_window,
			 uint32_t v[ML_LOOP_F_COUNT])
{
	uint32_t runs = f->n - f->continued;

	if (f->n == 0) {
		mlc_memset(v, 0, ML_LOOP_F_COUNT * sizeof(*v));
	} else {
		v[ML_LOOP_F_SEQ_PERMILLE] = f->continued * 1000 / f->n;
		v[ML_LOOP_F_MEAN_RUN_X100] = f->n * 100 / (runs ? runs : 1);
		v[ML_LOOP_F_DISTINCT_PERMILLE] = f->distinct * 1000 / f->n;
	}
	v[ML_LOOP_F_DEFAULT_WINDOW] = default_window;
	v[ML_LOOP_F_RUN_LENGTH] = f->run_length;
}

uint32_t ml_loop_tree_eval(const struct ml_loop_tree *t,
			   const uint32_t v[ML_LOOP_F_COUNT])
{
	uint32_t i = 0, visits;

	for (visits = 0; visits < ML_LOOP_POLICY_MAX_DEPTH; visits++) {
		const struct ml_loop_policy_node *n;

		if (i >= t->node_count)
			break;
		n = &t->nodes[i];
		if (n->feature == ML_LOOP_POLICY_LEAF)
			return n->value;
		if (n->feature >= ML_LOOP_F_COUNT)
			break;
		i = v[n->feature] <= n->value ? n->left : n->right;
	}
	return ML_LOOP_DEFAULT_MIN_WINDOW;
}

/* --- workload traces ---------------------------------------------------- */

void ml_loop_replay_accesses(uint32_t *run, uint32_t *off,
			     const struct ml_loop_trace_run *runs,
			     uint32_t run_count, uint32_t *trace, uint32_t n)
{
	uint32_t r = *run, o = *off, i;

	if (r >= run_count)
		r = 0, o = 0;
	for (i = 0; i < n; i++) {
		trace[i] = runs[r].first_page + o;
		/* Valid runs have 1..65535 pages: one step per access. */
		if (++o >= runs[r].pages) {
			o = 0;
			if (++r == run_count)
				r = 0;
		}
	}
	*run = r;
	*off = o;
}

void ml_loop_sim_rewind(struct ml_loop_sim *sim)
{
	sim->wl.replay_run = 0;
	sim->wl.replay_off = 0;
}

void ml_loop_sim_replay(struct ml_loop_sim *sim,
			const struct ml_loop_trace_run *runs,
			uint32_t run_count, uint32_t file_pages)
{
	sim->wl.replay_pages = file_pages;
	ml_loop_replay_accesses(&sim->wl.replay_run, &sim->wl.replay_off, runs,
				run_count, sim->trace, ML_LOOP_EPOCH_ACCESSES);
	sim->wl.replay_given = 1;
}

/* --- the simulation ----------------------------------------------------- */

void ml_loop_sim_init(struct ml_loop_sim *sim, uint64_t seed)
{
	unsigned int i;

	mlc_memset(sim, 0, sizeof(*sim));
	sim->seed = seed;
	/* The workload's stream is the seed's, mixed so nearby seeds differ. */
	sim->wl.rng = ml_loop_mix64(seed ^ 0x6d6c6c6f6f70ULL);	/* "mlloop" */
	ml_loop_ra_init(&sim->def);
	ml_loop_ra_init(&sim->rec);
	ml_loop_ra_init(&sim->act);
	for (i = 0; i < ML_LOOP_NR_CANDIDATES; i++)
		ml_loop_ra_init(&sim->cand[i]);
	ml_loop_feat_init(&sim->feat);
}

/* Distinct pages of the epoch's trace: an open-addressing set in sim->seen. */
static uint32_t ml_loop_count_distinct(struct ml_loop_sim *sim)
{
	const uint32_t nslots = MLC_ARRAY_SIZE(sim->seen);
	uint32_t i, distinct = 0;

	mlc_memset(sim->seen, 0, sizeof(sim->seen));
	for (i = 0; i < ML_LOOP_EPOCH_ACCESSES; i++) {
		uint32_t key = sim->trace[i] + 1;	/* 0 marks a free slot */
		uint32_t slot = (uint32_t)(key * 2654435761u) % nslots;

		while (sim->seen[slot] && sim->seen[slot] != key)
			slot = (slot + 1) % nslots;
		if (!sim->seen[slot]) {
			sim->seen[slot] = key;
			distinct++;
		}
	}
	return distinct;
}

void ml_loop_sim_epoch(struct ml_loop_sim *sim, uint32_t mode,
		       uint32_t rec_window, struct ml_loop_epoch *out)
{
	bool has_rec = rec_window != ML_LOOP_NO_WINDOW;
	bool policy = rec_window == ML_LOOP_POLICY_WINDOW;
	bool tripped = false;
	uint32_t i, c;

	mlc_memset(out, 0, sizeof(*out));
	out->epoch = ++sim->epoch;
	out->mode = mode;
	out->rec_window = rec_window;

	if (sim->wl.replay_given) {
		/* A trace's accesses, already in sim->trace, over its file. */
		sim->wl.replay_given = 0;
		sim->act.file_pages = sim->wl.replay_pages;
		out->phase = ML_LOOP_PHASE_TRACE;
	} else {
		ml_loop_workload_epoch(&sim->wl, sim->trace,
				       ML_LOOP_EPOCH_ACCESSES);
		sim->act.file_pages = ML_LOOP_FILE_PAGES;
		out->phase = sim->wl.phase;
	}

	/*
	 * Every shadow starts the epoch where the subsystem really is (its
	 * page cache, its default's ramp): each answers "what if this policy
	 * had served this epoch", so in EMERGENCY the subsystem pays exactly
	 * the default's cost.
	 */
	ml_loop_ra_new_epoch(&sim->act);
	sim->def = sim->act;
	sim->rec = sim->act;
	for (c = 0; c < ML_LOOP_NR_CANDIDATES; c++)
		sim->cand[c] = sim->act;

	for (i = 0; i < ML_LOOP_EPOCH_ACCESSES; i++) {
		uint32_t p = sim->trace[i];
		bool cont = sim->wl.has_last && p == sim->wl.last_page + 1;
		uint32_t feat[ML_LOOP_F_COUNT];
		bool have_feat = false;

		sim->wl.last_page = p;
		sim->wl.has_last = 1;
		out->continued += cont;
		/* The window always slides: a policy written later reads it. */
		ml_loop_feat_push(&sim->feat, p, cont);

		/* Shadows first: the bound reads their costs so far. */
		ml_loop_ra_access(&sim->def, p, cont, ML_LOOP_WINDOW_DEFAULT);
		if (policy) {
			if (!ml_loop_ra_hit(&sim->rec, p)) {
				ml_loop_feat_values(&sim->feat, sim->def.window,
						    feat);
				have_feat = true;
				ml_loop_ra_read(&sim->rec, p,
						ml_loop_tree_eval(&sim->policy,
								  feat));
			}
		} else if (has_rec) {
			ml_loop_ra_access(&sim->rec, p, cont, rec_window);
		}

		if (!ml_loop_ra_hit(&sim->act, p)) {
			uint32_t w;

			/* The subsystem's own default ramps on every miss. */
			sim->act.window = ml_loop_default_next_window(
				sim->act.window, cont);
			w = sim->act.window;
			if (has_rec &&
			    ml_loop_miss_applies(sim->seed, sim->miss_no, mode)) {
				if (!tripped &&
				    ml_loop_guard_exceeded(sim->rec.cost,
							   sim->def.cost))
					tripped = true;
				if (!tripped && policy) {
					if (!have_feat)
						ml_loop_feat_values(&sim->feat,
								    sim->def.window,
								    feat);
					have_feat = true;
					w = ml_loop_tree_eval(&sim->policy, feat);
					out->applied++;
				} else if (!tripped) {
					w = rec_window;
					out->applied++;
				}
			}
			sim->miss_no++;
			ml_loop_ra_read(&sim->act, p, w);
		}

		for (c = 0; c < ML_LOOP_NR_CANDIDATES; c++)
			ml_loop_ra_access(&sim->cand[c], p, cont,
					  ml_loop_candidate_window(c));
	}

	out->accesses = ML_LOOP_EPOCH_ACCESSES;
	out->runs = out->accesses - out->continued;
	if (out->runs == 0)
		out->runs = 1;
	out->distinct = ml_loop_count_distinct(sim);
	out->default_window = sim->def.window;
	out->misses = sim->act.misses;
	out->guard_tripped = tripped;
	out->cost_default = sim->def.cost;
	out->cost_recommended = has_rec ? sim->rec.cost : 0;
	out->cost_actual = sim->act.cost;
	for (c = 0; c < ML_LOOP_NR_CANDIDATES; c++)
		out->cand_cost[c] = sim->cand[c].cost;
	out->best_window = ml_loop_hindsight_best(out->cand_cost);
	out->cost_best = out->cand_cost[0];
	for (c = 1; c < ML_LOOP_NR_CANDIDATES; c++) {
		if (out->cand_cost[c] < out->cost_best)
			out->cost_best = out->cand_cost[c];
	}
}
