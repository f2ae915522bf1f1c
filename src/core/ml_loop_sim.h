/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The closed loop's simulated subsystem (docs/closed-loop.md, "The
 * subsystem: readahead sizing"): a seeded workload generator with phases,
 * a page cache with a readahead window and its cost model, the default
 * algorithm, the recommendation and the default run in shadow, and the
 * hindsight-best window over the candidate set.
 *
 * Flat state without pointers (it lives in ml_loop_dev, in a module's
 * storage or in shared memory), integer arithmetic only, and every random
 * number from one splitmix64 state seeded at load: a seed gives the same
 * trace, the same costs and the same records everywhere.
 *
 * The page cache is modelled as the last ML_LOOP_CACHE_RANGES readahead
 * ranges (a FIFO): an access hits when a remembered range holds it.  The
 * subsystem's cache carries over from epoch to epoch; at the start of each
 * epoch every shadow policy (the default, the recommendation, each
 * candidate window) gets a copy of it, so each cost answers "what if this
 * policy had served this epoch from where the subsystem is".
 *
 * Locking: none here; the device's caller serialises.
 */
#ifndef ML_LOOP_SIM_H
#define ML_LOOP_SIM_H

#include "mlc_platform.h"
#include "../../include/uapi/ml_loop.h"
#include "../../include/uapi/ml_lib.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The one simulated file, in pages. */
#define ML_LOOP_FILE_PAGES		(1u << 20)
/* Accesses in one epoch. */
#define ML_LOOP_EPOCH_ACCESSES		512
/* Readahead ranges each policy's page cache remembers. */
#define ML_LOOP_CACHE_RANGES		8

/* The default algorithm's window: starts here, doubles up to the max. */
#define ML_LOOP_DEFAULT_MIN_WINDOW	4
#define ML_LOOP_DEFAULT_MAX_WINDOW	128
/* ml_loop_ra_access() window argument: run the default algorithm. */
#define ML_LOOP_WINDOW_DEFAULT		0xfffffffeu

/* Candidate windows of the hindsight-best search: 0, 1, 2, 4, ..., 256. */
#define ML_LOOP_NR_CANDIDATES		10

/* Workload phases. */
#define ML_LOOP_PHASE_MIN_EPOCHS	4
#define ML_LOOP_PHASE_MAX_EPOCHS	12
#define ML_LOOP_MAX_STREAMS		3
/* Sequential phase: each stream's runs are this long (pages). */
#define ML_LOOP_SEQ_RUN_MIN		128
#define ML_LOOP_SEQ_RUN_MAX		1023
/* Sequential phase: 1 access in this many moves to a random stream. */
#define ML_LOOP_SEQ_SWITCH_ONE_IN	8
/* Mixed phase: runs of this many pages at random places. */
#define ML_LOOP_MIXED_RUN_MIN		8
#define ML_LOOP_MIXED_RUN_MAX		64
/* A run starts this far from the end of the file at least. */
#define ML_LOOP_RUN_ROOM		2048

/*
 * The bound inside an epoch (docs/closed-loop.md, "Mode policy"): a miss
 * stops using the recommendation for the rest of the epoch once its shadow
 * cost so far exceeds GUARD_PERMILLE/1000 of the default's shadow cost so
 * far plus GUARD_SLACK cost units (the slack lets a large window pay its
 * first reads before its hits come).
 */
#define ML_LOOP_GUARD_PERMILLE		1100
#define ML_LOOP_GUARD_SLACK		1024

/*
 * Policies (docs/closed-loop.md, "Policies"): the sliding window the
 * features are kept over is the last ML_LOOP_EPOCH_ACCESSES accesses; its
 * distinct pages are counted in an open-addressing table of page counts
 * with this many slots (a power of two, twice the window: short probes).
 */
#define ML_LOOP_FEAT_SLOTS		1024
#define ML_LOOP_RUN_LENGTH_MAX		65535

enum ml_loop_phase {
	ML_LOOP_PHASE_SEQUENTIAL = 0,
	ML_LOOP_PHASE_RANDOM = 1,
	ML_LOOP_PHASE_MIXED = 2,
	ML_LOOP_PHASE_MAX
};
/* ml_loop_epoch.phase of an epoch replayed from a workload trace. */
#define ML_LOOP_PHASE_TRACE		ML_LOOP_PHASE_MAX

/* One readahead policy over its own simulated page cache. */
struct ml_loop_ra {
	uint32_t window;	/* default algorithm: its current window */
	uint32_t next;		/* the range slot the next read replaces */
	uint32_t start[ML_LOOP_CACHE_RANGES];	/* first page of a range */
	uint32_t end[ML_LOOP_CACHE_RANGES];	/* past its last; == start: empty */
	uint64_t cost;		/* this epoch, in cost units */
	uint32_t misses;	/* this epoch */
	uint32_t pages;		/* pages read this epoch */
	uint32_t file_pages;	/* where readahead stops: the file's end */
	uint32_t reserved;
};

struct ml_loop_stream {
	uint32_t pos;		/* next page */
	uint32_t left;		/* pages left in the current run */
};

/* The seeded access generator. */
struct ml_loop_workload {
	uint64_t rng;		/* splitmix64 state */
	uint32_t phase;		/* enum ml_loop_phase */
	uint32_t phase_left;	/* epochs left in the phase (0: draw one) */
	uint32_t nstreams;	/* sequential: 1..ML_LOOP_MAX_STREAMS */
	uint32_t cur;		/* the stream being read */
	struct ml_loop_stream streams[ML_LOOP_MAX_STREAMS];
	uint32_t last_page;	/* the previous access */
	uint32_t has_last;
	/* A workload trace's replay (ml_loop_sim_replay()); the generator's
	 * own state above is untouched while a trace is replayed. */
	uint32_t replay_run;	/* the run the next access is in */
	uint32_t replay_off;	/* pages of it already replayed */
	uint32_t replay_given;	/* 1: sim->trace holds the next epoch */
	uint32_t replay_pages;	/* the replayed trace's file_pages */
};

/*
 * The features of the last ML_LOOP_EPOCH_ACCESSES accesses, kept in O(1)
 * per access: a ring of the pages and their `continues` flags, running
 * counts, and the table of page counts for the distinct pages.
 */
struct ml_loop_feat {
	uint32_t page[ML_LOOP_EPOCH_ACCESSES];	/* ring: the accesses */
	uint8_t cont[ML_LOOP_EPOCH_ACCESSES];	/* each continued the last */
	uint32_t head;		/* the slot the next access takes */
	uint32_t n;		/* accesses in the window, <= 512 */
	uint32_t continued;	/* of those, accesses that continued */
	uint32_t distinct;	/* distinct pages among them */
	uint32_t run_length;	/* accesses in the current sequential run */
	uint32_t key[ML_LOOP_FEAT_SLOTS];	/* page + 1; 0: a free slot */
	uint16_t count[ML_LOOP_FEAT_SLOTS];	/* its accesses in the window */
};

/* A policy in force: a validated tree (ml_loop_dev checks it). */
struct ml_loop_tree {
	uint32_t node_count;	/* 0: none */
	struct ml_loop_policy_node nodes[ML_LOOP_POLICY_MAX_NODES];
};

/* What one epoch did (the records are built from it). */
struct ml_loop_epoch {
	uint64_t epoch;			/* 1 for the first */
	uint32_t mode;			/* enum ml_lib_model_mode during it */
	uint32_t rec_window;		/* in force, ML_LOOP_NO_WINDOW, or
					   ML_LOOP_POLICY_WINDOW */
	uint32_t phase;			/* the truth: never published */
	uint32_t accesses;
	uint32_t continued;		/* accesses at the previous one + 1 */
	uint32_t runs;			/* sequential runs (>= 1) */
	uint32_t distinct;		/* distinct pages */
	uint32_t default_window;	/* the default's window at the end */
	uint32_t best_window;		/* hindsight-best candidate */
	uint32_t misses;		/* what the subsystem really missed */
	uint32_t applied;		/* of those, misses that used the rec */
	uint32_t guard_tripped;		/* 1: the bound stopped the rec */
	uint64_t cost_default;		/* the default alone (shadow) */
	uint64_t cost_recommended;	/* the rec alone (shadow); 0: none */
	uint64_t cost_actual;		/* what the subsystem paid */
	uint64_t cost_best;		/* the hindsight-best candidate's */
	uint64_t cand_cost[ML_LOOP_NR_CANDIDATES];
};

struct ml_loop_sim {
	uint64_t seed;		/* the load-time seed: reset restarts from it */
	uint64_t epoch;		/* epochs simulated */
	uint64_t miss_no;	/* the subsystem's misses so far */
	struct ml_loop_workload wl;
	struct ml_loop_ra def;	/* the default algorithm, in shadow */
	struct ml_loop_ra rec;	/* the recommendation, in shadow */
	struct ml_loop_ra act;	/* what the subsystem really does */
	struct ml_loop_ra cand[ML_LOOP_NR_CANDIDATES];
	uint32_t trace[ML_LOOP_EPOCH_ACCESSES];	/* this epoch's accesses */
	uint32_t seen[2 * ML_LOOP_EPOCH_ACCESSES];	/* distinct-page set */
	struct ml_loop_feat feat;	/* the policies' sliding window */
	struct ml_loop_tree policy;	/* used when rec_window is POLICY */
};

/* --- randomness --------------------------------------------------------- */

/* splitmix64: advances *state and returns the next value. */
uint64_t ml_loop_splitmix64(uint64_t *state);
/* A value in 0..n-1 (n >= 1) from the next 64-bit value, no division. */
uint32_t ml_loop_rand_below(uint64_t *state, uint32_t n);

/* --- the cost model and the policies ------------------------------------ */

/* Cost of one miss that reads `pages` pages. */
static inline uint64_t ml_loop_miss_cost(uint32_t pages)
{
	return ML_LOOP_COST_MISS + (uint64_t)pages * ML_LOOP_COST_PAGE;
}

/* The candidate windows: index 0 -> 0, 1 -> 1, i -> 2^(i-1) (up to 256). */
uint32_t ml_loop_candidate_window(unsigned int i);

/* The default algorithm's next window on a miss, from its current one. */
uint32_t ml_loop_default_next_window(uint32_t cur, bool continues);

/*
 * A cold policy: empty cache, zero counters; window is the default's
 * starting window state (ML_LOOP_DEFAULT_MIN_WINDOW) for the default; the
 * file is ML_LOOP_FILE_PAGES long.
 */
void ml_loop_ra_init(struct ml_loop_ra *ra);
/* Zero this epoch's counters (the cache is kept). */
void ml_loop_ra_new_epoch(struct ml_loop_ra *ra);
/* Whether page is in one of the remembered ranges. */
bool ml_loop_ra_hit(const struct ml_loop_ra *ra, uint32_t page);
/*
 * A miss at page: read page and the `window` pages after it (cut at the
 * end of the file, ra->file_pages) into a new range, replacing the oldest;
 * charge it.
 */
void ml_loop_ra_read(struct ml_loop_ra *ra, uint32_t page, uint32_t window);
/*
 * One access: a hit costs nothing and returns ML_LOOP_NO_WINDOW; a miss
 * reads with the fixed window, or with the default algorithm's next window
 * when window == ML_LOOP_WINDOW_DEFAULT, and returns the window it used.
 * continues: the access is the previous access's page + 1.
 */
uint32_t ml_loop_ra_access(struct ml_loop_ra *ra, uint32_t page,
			   bool continues, uint32_t window);

/*
 * A hand-made trace through one cold policy (window as for
 * ml_loop_ra_access); the first access does not continue.  Returns the
 * cost; *ra is left as the trace left it, windows[] (n entries, may be
 * NULL) gets each access's result of ml_loop_ra_access().
 */
uint64_t ml_loop_trace_cost(struct ml_loop_ra *ra, const uint32_t *trace,
			    uint32_t n, uint32_t window, uint32_t *windows);

/* The candidate with the lowest cost (the smaller window on a tie). */
uint32_t ml_loop_hindsight_best(const uint64_t cost[ML_LOOP_NR_CANDIDATES]);

/*
 * Whether the subsystem's miss number miss_no uses the recommendation in
 * this mode: none in EMERGENCY (and UNKNOWN), 1 in 4 in LEARNING, 1 in 2
 * in COLLABORATION, all in RECOMMENDATION; which ones is a hash of the
 * seed and the miss number.
 */
bool ml_loop_miss_applies(uint64_t seed, uint64_t miss_no, uint32_t mode);

/* Whether the bound stops the recommendation, given this epoch's shadow
 * costs so far. */
bool ml_loop_guard_exceeded(uint64_t cost_recommended, uint64_t cost_default);

/* --- policies ------------------------------------------------------------ */

/* An empty window (no access yet). */
void ml_loop_feat_init(struct ml_loop_feat *f);
/* One access enters the window (the oldest leaves once it holds 512). */
void ml_loop_feat_push(struct ml_loop_feat *f, uint32_t page, bool continues);
/*
 * The features now (enum ml_loop_feature order) into v[ML_LOOP_F_COUNT]:
 * over the window as the DATASET fields over an epoch (an empty window
 * reads 0), default_window as given.
 */
void ml_loop_feat_values(const struct ml_loop_feat *f, uint32_t default_window,
			 uint32_t v[ML_LOOP_F_COUNT]);
/*
 * The window a validated tree chooses for features v: from node 0, an
 * inner node goes left when v[feature] <= value, else right; a leaf's
 * value is the window.  At most ML_LOOP_POLICY_MAX_DEPTH visits; a tree
 * that is not valid (it cannot be: the device checks) gets the default's
 * minimum window.
 */
uint32_t ml_loop_tree_eval(const struct ml_loop_tree *t,
			   const uint32_t v[ML_LOOP_F_COUNT]);

/* --- the simulation ----------------------------------------------------- */

/* Everything from seed: no epoch run, cold caches. */
void ml_loop_sim_init(struct ml_loop_sim *sim, uint64_t seed);

/*
 * The next epoch's accesses (n of them) into trace, drawing a new phase
 * when the current one is over.
 */
void ml_loop_workload_epoch(struct ml_loop_workload *wl, uint32_t *trace,
			    uint32_t n);

/*
 * Workload traces (docs/closed-loop.md, "Replay"): the next n accesses of
 * the expansion of runs[0..run_count-1] (each valid, run_count >= 1) from
 * the cursor (*run, *off) into trace, wrapping to run 0 after the last;
 * O(1) per access.  Advances the cursor.
 */
void ml_loop_replay_accesses(uint32_t *run, uint32_t *off,
			     const struct ml_loop_trace_run *runs,
			     uint32_t run_count, uint32_t *trace, uint32_t n);
/* The replay restarts at run 0 (a new trace). */
void ml_loop_sim_rewind(struct ml_loop_sim *sim);
/*
 * The next epoch's accesses come from the trace's runs at the replay
 * cursor instead of the generator, and readahead stops at the trace's
 * file_pages instead of ML_LOOP_FILE_PAGES: call just before
 * ml_loop_sim_epoch().
 */
void ml_loop_sim_replay(struct ml_loop_sim *sim,
			const struct ml_loop_trace_run *runs,
			uint32_t run_count, uint32_t file_pages);

/*
 * One epoch: ML_LOOP_EPOCH_ACCESSES accesses served with the subsystem in
 * mode and rec_window in force (ML_LOOP_NO_WINDOW: none;
 * ML_LOOP_POLICY_WINDOW: the tree in sim->policy, evaluated at each miss),
 * the default and the recommendation in shadow, every candidate window for
 * the hindsight best.  The accesses are the generator's, or the replayed
 * trace's after ml_loop_sim_replay().  Fills *out.
 */
void ml_loop_sim_epoch(struct ml_loop_sim *sim, uint32_t mode,
		       uint32_t rec_window, struct ml_loop_epoch *out);

#ifdef __cplusplus
}
#endif

#endif /* ML_LOOP_SIM_H */
