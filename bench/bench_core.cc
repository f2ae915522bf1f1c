// SPDX-License-Identifier: GPL-2.0
//
// mlc-bench-core: nanoseconds per core operation.
//
//   ioctl/...      each mlcore ioctl through mlc::Device (a LocalDevice) with
//                  the caller's memory as an mlc::RegionMemory: the instance
//                  lock, the per-operation host and the core call
//   raw/ioctl/...  the same core call (mlcore_dev_ioctl) with a stack
//                  mlc_host and no lock, so the wrapper's cost is the
//                  difference between the two
//   render/...     the proc texts straight into a caller buffer
//   seq/...        the seq_file model: open, read the whole file, close
//   loop/...       the closed loop v2 (docs/closed-loop.md, "Policies"):
//                  the per-miss policy evaluation (the features from the
//                  sliding window, then the tree), the per-access window
//                  update, and whole epochs with a window or a policy
//   lock/...       the instance mutex alone
//   calibration/.. what the bench's own bookkeeping costs per iteration
//
// The clock is frozen (mlc::FixedClock) so every SET_RESULT formats the
// same date and the numbers stay comparable from run to run.
//
// Every benchmark checks the operation's result once before timing it; a
// wrong result is reported with SkipWithError and makes the program exit 1,
// so the smoke test (ctest -L bench) fails on a broken core, not only on a
// crash.

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <system_error>

extern "C" {
#include "core/ml_loop_sim.h"
#include "core/mlcore_dev.h"
#include "core/seq_file_model.h"
}
#include "emulator/clock.hpp"
#include "emulator/device.hpp"
#include "emulator/kernel_log.hpp"
#include "emulator/log_file.hpp"
#include "emulator/random.hpp"
#include "emulator/robust_mutex.hpp"
#include "platform/user/region_memory.hpp"

namespace {

// 2025-06-15 12:00:00 UTC: a fixed, ordinary date.
constexpr int64_t kEpoch = 1749988800;
// Where the caller's buffer "is" in the emulated process.
constexpr mlc_uptr kUserBase = 0x7f0000001000ul;

bool g_failed = false;

// Reports a failed check: the benchmark is skipped and main() exits 1.
bool check(benchmark::State &state, bool ok, const char *what)
{
	if (!ok) {
		g_failed = true;
		state.SkipWithError(what);
	}
	return ok;
}

mlc::DeviceServices services(std::string log_path)
{
	mlc::DeviceServices s;
	s.clock = std::make_unique<mlc::FixedClock>(kEpoch);
	s.logfile = std::make_unique<mlc::LogFile>(std::move(log_path));
	s.random = std::make_unique<mlc::SeededRandom>(1);
	return s;
}

// The caller's memory: one buffer, big enough for any record and for a
// whole proc file.
struct UserBuffer {
	alignas(16) std::array<std::byte, MLCORE_RENDER_MAX> bytes{};
	mlc::RegionMemory mem{kUserBase, std::span<std::byte>(bytes)};

	template <typename T>
	void put(const T &value)
	{
		std::memcpy(bytes.data(), &value, sizeof(value));
	}
	int32_t get_int() const
	{
		int32_t v;
		std::memcpy(&v, bytes.data(), sizeof(v));
		return v;
	}
};

// A private directory for the log file, removed with everything in it.
class TempDir {
public:
	TempDir()
	{
		const char *base = std::getenv("TMPDIR");
		std::string tmpl = std::string(base && *base ? base : "/tmp") +
				   "/mlc-bench-XXXXXX";
		if (::mkdtemp(tmpl.data()))
			path_ = tmpl;
	}
	~TempDir()
	{
		if (!path_.empty()) {
			std::error_code ec;
			std::filesystem::remove_all(path_, ec);
		}
	}
	bool ok() const { return !path_.empty(); }
	std::string file(const char *name) const { return path_ + "/" + name; }

private:
	std::string path_;
};

const std::array<int32_t, 3> kFeatures = {123, -5, 4567};
const train_entry kEntry = {{150, -250, 9999}, 1};

// A device with `results` SET_RESULTs and `entries` training entries.
void fill(mlc::Device &dev, int results, int entries)
{
	UserBuffer u;
	for (int i = 0; i < results; i++) {
		u.put(int32_t{1000 + i});
		dev.mlcore_ioctl(IOCTL_SET_RESULT, kUserBase, u.mem);
	}
	for (int i = 0; i < entries; i++) {
		train_entry e = kEntry;
		e.label = i;
		u.put(e);
		dev.mlcore_ioctl(IOCTL_ADD_TRAINING, kUserBase, u.mem);
	}
}

// ---------------------------------------------------------------------------
// ioctls through mlc::Device

// One ioctl with a fixed argument, repeated; the state it leaves does not
// change the cost of the next one.
// `entries` training entries are added first.
template <typename Arg>
void device_ioctl(benchmark::State &state, unsigned int cmd, const Arg *arg,
		  long expect, const std::string &log_path = "",
		  int entries = 0)
{
	mlc::LocalDevice dev(services(log_path));
	fill(*dev, 0, entries);
	UserBuffer u;
	if (arg)
		u.put(*arg);
	if (!check(state, dev->mlcore_ioctl(cmd, kUserBase, u.mem) == expect,
		   "unexpected ioctl result"))
		return;
	for (auto _ : state) {
		long r = dev->mlcore_ioctl(cmd, kUserBase, u.mem);
		benchmark::DoNotOptimize(r);
	}
}

void BM_SendInts(benchmark::State &state)
{
	device_ioctl(state, IOCTL_SEND_INTS, &kFeatures, 0);
}

void BM_SetResultNoLogFile(benchmark::State &state)
{
	// An empty path: every append fails to open, the driver logs
	// "Failed to open log file." and goes on.
	const int32_t v = 42;
	device_ioctl(state, IOCTL_SET_RESULT, &v, 0);
}

void BM_SetResultLogFile(benchmark::State &state)
{
	TempDir dir;
	if (!check(state, dir.ok(), "mkdtemp failed"))
		return;
	const std::string path = dir.file("mlcore.log");
	const int32_t v = 42;
	device_ioctl(state, IOCTL_SET_RESULT, &v, 0, path);
	std::error_code ec;
	check(state, std::filesystem::file_size(path, ec) > 0 && !ec,
	      "log file not written");
}

void BM_GetResult(benchmark::State &state)
{
	mlc::LocalDevice dev(services(""));
	fill(*dev, 1, 0);
	UserBuffer u;
	if (!check(state, dev->mlcore_ioctl(IOCTL_GET_RESULT, kUserBase, u.mem) == 0 &&
				  u.get_int() == 1000 && u.mem.written_end() == 4,
		   "GET_RESULT"))
		return;
	for (auto _ : state) {
		long r = dev->mlcore_ioctl(IOCTL_GET_RESULT, kUserBase, u.mem);
		benchmark::DoNotOptimize(r);
	}
}

// Below capacity: the device is emptied every 49 adds with the timer
// paused.  Pausing costs something that leaks into the measurement; see
// calibration/pause_every_49 for how much per iteration.
void BM_AddTrainingBelowCapacity(benchmark::State &state)
{
	mlc::LocalDevice dev(services(""));
	UserBuffer u;
	u.put(kEntry);
	int n = 0;
	for (auto _ : state) {
		long r = dev->mlcore_ioctl(IOCTL_ADD_TRAINING, kUserBase, u.mem);
		benchmark::DoNotOptimize(r);
		if (++n == MLCORE_MAX_TRAINING_ENTRIES - 1) {
			state.PauseTiming();
			dev->mlcore_ioctl(IOCTL_CLEAR_TRAINING, nullptr);
			n = 0;
			state.ResumeTiming();
		}
	}
	check(state, dev->mlcore_snapshot().train_count == n,
	      "ADD_TRAINING below capacity did not add");
}

void BM_AddTrainingFull(benchmark::State &state)
{
	device_ioctl(state, IOCTL_ADD_TRAINING, &kEntry, 0, "",
		     MLCORE_MAX_TRAINING_ENTRIES);
}

void BM_ClearTraining(benchmark::State &state)
{
	device_ioctl<int>(state, IOCTL_CLEAR_TRAINING, nullptr, 0);
}

void BM_Unknown(benchmark::State &state)
{
	// 0x6800: the number the driver's own documentation shows for
	// SEND_INTS, which the driver rejects.
	device_ioctl(state, 0x6800u, &kFeatures, -EINVAL);
}

// ---------------------------------------------------------------------------
// The raw core call: no lock, a host on the stack

struct RawCore {
	mlc::FixedClock clock{kEpoch};
	std::unique_ptr<mlc::OwnedKernelLog> ring =
		std::make_unique<mlc::OwnedKernelLog>();
	mlc::KernelLog klog{ring->buffer, clock};
	mlc::LogFile logfile{""};
	mlcore_dev dev{};
	UserBuffer u;

	RawCore()
	{
		mlc_host host = make_host();
		mlcore_dev_load(&dev, &host);
	}

	mlc_host make_host()
	{
		mlc_host host;
		host.clock = &clock;
		host.klog = &klog;
		host.logfile = &logfile;
		host.user = &u.mem;
		return host;
	}

	long ioctl(unsigned int cmd)
	{
		mlc_host host = make_host();
		return mlcore_dev_ioctl(&dev, &host, cmd, kUserBase);
	}
};

template <typename Arg>
void raw_ioctl(benchmark::State &state, unsigned int cmd, const Arg *arg,
	       long expect, int prefill_entries = 0)
{
	auto core = std::make_unique<RawCore>();
	if (arg)
		core->u.put(*arg);
	core->dev.train_count = prefill_entries;
	if (!check(state, core->ioctl(cmd) == expect, "unexpected ioctl result"))
		return;
	for (auto _ : state) {
		mlc_host host = core->make_host();
		long r = mlcore_dev_ioctl(&core->dev, &host, cmd, kUserBase);
		benchmark::DoNotOptimize(r);
	}
}

void BM_RawSendInts(benchmark::State &state)
{
	raw_ioctl(state, IOCTL_SEND_INTS, &kFeatures, 0);
}

void BM_RawSetResultNoLogFile(benchmark::State &state)
{
	const int32_t v = 42;
	raw_ioctl(state, IOCTL_SET_RESULT, &v, 0);
}

void BM_RawGetResult(benchmark::State &state)
{
	raw_ioctl<int>(state, IOCTL_GET_RESULT, nullptr, 0);
}

void BM_RawAddTrainingBelowCapacity(benchmark::State &state)
{
	// Same pause pattern as the device variant, so the two compare.
	auto core = std::make_unique<RawCore>();
	core->u.put(kEntry);
	int n = 0;
	for (auto _ : state) {
		mlc_host host = core->make_host();
		long r = mlcore_dev_ioctl(&core->dev, &host, IOCTL_ADD_TRAINING,
					  kUserBase);
		benchmark::DoNotOptimize(r);
		if (++n == MLCORE_MAX_TRAINING_ENTRIES - 1) {
			state.PauseTiming();
			core->dev.train_count = 0;
			n = 0;
			state.ResumeTiming();
		}
	}
	check(state, core->dev.train_count == n,
	      "ADD_TRAINING below capacity did not add");
}

void BM_RawAddTrainingFull(benchmark::State &state)
{
	raw_ioctl(state, IOCTL_ADD_TRAINING, &kEntry, 0,
		  MLCORE_MAX_TRAINING_ENTRIES);
}

void BM_RawClearTraining(benchmark::State &state)
{
	raw_ioctl<int>(state, IOCTL_CLEAR_TRAINING, nullptr, 0);
}

void BM_RawUnknown(benchmark::State &state)
{
	raw_ioctl(state, 0x6800u, &kFeatures, -EINVAL);
}

// ---------------------------------------------------------------------------
// Proc renderings into a caller buffer

using RenderFn = size_t (mlc::Device::*)(char *, size_t);

void render(benchmark::State &state, RenderFn fn, int results, int entries,
	    size_t expect_lines)
{
	mlc::LocalDevice dev(services(""));
	fill(*dev, results, entries);
	char buf[MLCORE_RENDER_MAX];
	size_t len = ((*dev).*fn)(buf, sizeof(buf));
	size_t lines = 0;
	for (size_t i = 0; i < len && i < sizeof(buf); i++)
		lines += buf[i] == '\n';
	if (!check(state, len < sizeof(buf) && lines == expect_lines,
		   "unexpected rendering"))
		return;
	for (auto _ : state) {
		size_t n = ((*dev).*fn)(buf, sizeof(buf));
		benchmark::DoNotOptimize(n);
		benchmark::ClobberMemory();
	}
	state.counters["bytes"] = static_cast<double>(len);
}

void BM_RenderResult0(benchmark::State &state)
{
	render(state, &mlc::Device::render_mlcore_result, 0, 0, 2);
}

void BM_RenderResult10(benchmark::State &state)
{
	render(state, &mlc::Device::render_mlcore_result,
	       MLCORE_HISTORY_SIZE, 0, 2 + MLCORE_HISTORY_SIZE);
}

void BM_RenderTrain0(benchmark::State &state)
{
	render(state, &mlc::Device::render_mlcore_train, 0, 0, 0);
}

void BM_RenderTrain50(benchmark::State &state)
{
	render(state, &mlc::Device::render_mlcore_train, 0,
	       MLCORE_MAX_TRAINING_ENTRIES, MLCORE_MAX_TRAINING_ENTRIES);
}

// ---------------------------------------------------------------------------
// The seq_file model: open, read the whole file in one read(2) of a page
// (the way cat does it), the 0 that ends it, close.

size_t show_result(void *priv, char *buf, size_t size)
{
	return static_cast<mlc::Device *>(priv)->render_mlcore_result(buf, size);
}

size_t show_train(void *priv, char *buf, size_t size)
{
	return static_cast<mlc::Device *>(priv)->render_mlcore_train(buf, size);
}

void seq_whole(benchmark::State &state, mlc_seq_show_fn show, int results,
	       int entries)
{
	mlc::LocalDevice dev(services(""));
	fill(*dev, results, entries);
	char expect[MLCORE_RENDER_MAX];
	size_t expect_len = show(&*dev, expect, sizeof(expect));

	UserBuffer u;
	mlc_host host;
	host.user = &u.mem;
	// The open file description; "close" is dropping it (single_release
	// frees nothing the model holds).
	auto m = std::make_unique<mlc_seq_file>();

	auto read_whole = [&]() -> long {
		long total = 0, n;
		mlc_seq_open(m.get(), show, &*dev);
		while ((n = mlc_seq_read_at_fpos(m.get(), &host, kUserBase,
						 u.bytes.size())) > 0)
			total += n;
		return n < 0 ? n : total;
	};

	if (!check(state, read_whole() == static_cast<long>(expect_len) &&
				  std::memcmp(u.bytes.data(), expect,
					      expect_len) == 0,
		   "seq_file read differs from the rendering"))
		return;
	for (auto _ : state) {
		long n = read_whole();
		benchmark::DoNotOptimize(n);
		benchmark::ClobberMemory();
	}
	state.counters["bytes"] = static_cast<double>(expect_len);
}

void BM_SeqResult10(benchmark::State &state)
{
	seq_whole(state, show_result, MLCORE_HISTORY_SIZE, 0);
}

void BM_SeqTrain50(benchmark::State &state)
{
	seq_whole(state, show_train, 0, MLCORE_MAX_TRAINING_ENTRIES);
}

// ---------------------------------------------------------------------------
// The lock alone, and the bench's own overhead

void BM_LockUnlock(benchmark::State &state)
{
	auto mu = std::make_unique<mlc::RobustMutex>();
	mu->init();
	for (auto _ : state) {
		mlc::RobustLock guard(*mu);
		benchmark::ClobberMemory();
	}
}

// What pausing the timer every 49 iterations adds per iteration to the
// ADD_TRAINING below-capacity rows.
void BM_PauseEvery49(benchmark::State &state)
{
	int n = 0;
	for (auto _ : state) {
		benchmark::ClobberMemory();
		if (++n == MLCORE_MAX_TRAINING_ENTRIES - 1) {
			state.PauseTiming();
			n = 0;
			state.ResumeTiming();
		}
	}
}

void register_all()
{
	struct Entry {
		const char *name;
		void (*fn)(benchmark::State &);
	};
	static const Entry entries[] = {
		{"ioctl/SEND_INTS", BM_SendInts},
		{"ioctl/SET_RESULT/no_log_file", BM_SetResultNoLogFile},
		{"ioctl/SET_RESULT/log_file", BM_SetResultLogFile},
		{"ioctl/GET_RESULT", BM_GetResult},
		{"ioctl/ADD_TRAINING/below_capacity", BM_AddTrainingBelowCapacity},
		{"ioctl/ADD_TRAINING/full", BM_AddTrainingFull},
		{"ioctl/CLEAR_TRAINING", BM_ClearTraining},
		{"ioctl/unknown_0x6800", BM_Unknown},
		{"raw/ioctl/SEND_INTS", BM_RawSendInts},
		{"raw/ioctl/SET_RESULT/no_log_file", BM_RawSetResultNoLogFile},
		{"raw/ioctl/GET_RESULT", BM_RawGetResult},
		{"raw/ioctl/ADD_TRAINING/below_capacity",
		 BM_RawAddTrainingBelowCapacity},
		{"raw/ioctl/ADD_TRAINING/full", BM_RawAddTrainingFull},
		{"raw/ioctl/CLEAR_TRAINING", BM_RawClearTraining},
		{"raw/ioctl/unknown_0x6800", BM_RawUnknown},
		{"render/mlcore_result/history_0", BM_RenderResult0},
		{"render/mlcore_result/history_10", BM_RenderResult10},
		{"render/mlcore_train/entries_0", BM_RenderTrain0},
		{"render/mlcore_train/entries_50", BM_RenderTrain50},
		{"seq/mlcore_result/history_10/open_read_close", BM_SeqResult10},
		{"seq/mlcore_train/entries_50/open_read_close", BM_SeqTrain50},
		{"lock/robust_mutex_lock_unlock", BM_LockUnlock},
		{"calibration/pause_every_49", BM_PauseEvery49},
	};
	for (const Entry &e : entries)
		benchmark::RegisterBenchmark(e.name, e.fn)
			->Unit(benchmark::kNanosecond);
}

}  // namespace

// --- the closed loop v2 ----------------------------------------------------

// A full tree of the given depth over the features, thresholds spread over
// each feature's range: every evaluation visits `depth` nodes.
void full_tree(ml_loop_tree *t, unsigned depth)
{
	static const uint16_t range[ML_LOOP_F_COUNT] = {1000, 51200, 1000, 128, 600};
	std::memset(t, 0, sizeof(*t));
	unsigned inner = (1u << (depth - 1)) - 1, total = 2 * inner + 1;
	for (unsigned i = 0; i < total; i++) {
		ml_loop_policy_node &n = t->nodes[i];
		if (i < inner) {
			n.feature = uint8_t(i % ML_LOOP_F_COUNT);
			n.value = uint16_t((i * 2654435761u >> 8) % range[n.feature]);
			n.left = uint16_t(2 * i + 1);
			n.right = uint16_t(2 * i + 2);
		} else {
			n.feature = ML_LOOP_POLICY_LEAF;
			n.value = uint16_t(1u << (i % 9));
		}
	}
	t->node_count = total;
}

// A window that has seen 4096 accesses of the mixed kind.
void warm_window(ml_loop_feat *f)
{
	uint64_t rng = 7;
	uint32_t p = 0, left = 0;
	ml_loop_feat_init(f);
	for (int i = 0; i < 4096; i++) {
		bool cont = left > 0;
		if (!left) {
			p = ml_loop_rand_below(&rng, 1u << 20);
			left = 8 + ml_loop_rand_below(&rng, 57);
		}
		ml_loop_feat_push(f, p++, cont);
		left--;
	}
}

// One miss's policy evaluation: the features now, then the tree (a
// chain of 16 nodes: the longest path a valid policy may have).
void BM_LoopPolicyEvalChain16(benchmark::State &state)
{
	static ml_loop_feat f;
	static ml_loop_tree t;
	warm_window(&f);
	std::memset(&t, 0, sizeof(t));
	for (unsigned i = 0; i < 15; i++) {
		t.nodes[i] = {ML_LOOP_F_RUN_LENGTH, 0, uint16_t(1000 + i), uint16_t(i + 1),
			      uint16_t(16 + i)};
		t.nodes[16 + i] = {ML_LOOP_POLICY_LEAF, 0, uint16_t(i), 0, 0};
	}
	t.nodes[15] = {ML_LOOP_POLICY_LEAF, 0, 256, 0, 0};
	t.node_count = 31;
	uint32_t v[ML_LOOP_F_COUNT];
	ml_loop_feat_values(&f, 4, v);
	if (!check(state, ml_loop_tree_eval(&t, v) == 256, "chain: 16 nodes down to 256"))
		return;
	uint32_t dw = 4;
	for (auto _ : state) {
		ml_loop_feat_values(&f, dw, v);
		benchmark::DoNotOptimize(dw = ml_loop_tree_eval(&t, v) | 4);
	}
}

// The same on a full tree of depth 7 (127 nodes, a trained tree's size).
void BM_LoopPolicyEvalFull7(benchmark::State &state)
{
	static ml_loop_feat f;
	static ml_loop_tree t;
	warm_window(&f);
	full_tree(&t, 7);
	uint32_t v[ML_LOOP_F_COUNT];
	ml_loop_feat_values(&f, 4, v);
	if (!check(state, ml_loop_tree_eval(&t, v) <= ML_LOOP_MAX_WINDOW, "a leaf's window"))
		return;
	uint32_t dw = 4;
	for (auto _ : state) {
		ml_loop_feat_values(&f, dw, v);
		benchmark::DoNotOptimize(dw = ml_loop_tree_eval(&t, v) & 127);
	}
}

// One access into the sliding window (ring, counts, page-count table).
void BM_LoopFeatPush(benchmark::State &state)
{
	static ml_loop_feat f;
	warm_window(&f);
	uint64_t rng = 3;
	uint32_t p = 0;
	for (auto _ : state) {
		bool cont = (p & 31) != 0;
		p = cont ? p + 1 : ml_loop_rand_below(&rng, 1u << 20);
		ml_loop_feat_push(&f, p, cont);
	}
	if (f.n != ML_LOOP_EPOCH_ACCESSES || f.distinct > f.n)
		check(state, false, "window counts");
}

// A whole epoch (512 accesses, all shadows and the 10 candidates) in
// RECOMMENDATION with a fixed window, then with a depth-7 policy.
void loop_epoch_bench(benchmark::State &state, bool policy)
{
	static ml_loop_sim sim;
	ml_loop_sim_init(&sim, 1);
	full_tree(&sim.policy, 7);
	ml_loop_epoch ep;
	uint32_t rec = policy ? ML_LOOP_POLICY_WINDOW : 64;
	ml_loop_sim_epoch(&sim, ML_LIB_RECOMMENDATION_MODE, rec, &ep);
	if (!check(state, ep.cost_best <= ep.cost_default && ep.cost_recommended > 0,
		   "epoch costs"))
		return;
	for (auto _ : state) {
		ml_loop_sim_epoch(&sim, ML_LIB_RECOMMENDATION_MODE, rec, &ep);
		benchmark::DoNotOptimize(ep.cost_actual);
	}
}
void BM_LoopEpochWindow(benchmark::State &state) { loop_epoch_bench(state, false); }
void BM_LoopEpochPolicy(benchmark::State &state) { loop_epoch_bench(state, true); }

void register_loop()
{
	benchmark::RegisterBenchmark("loop/policy_eval/chain_16", BM_LoopPolicyEvalChain16)
		->Unit(benchmark::kNanosecond);
	benchmark::RegisterBenchmark("loop/policy_eval/full_depth_7", BM_LoopPolicyEvalFull7)
		->Unit(benchmark::kNanosecond);
	benchmark::RegisterBenchmark("loop/feature_window_push", BM_LoopFeatPush)
		->Unit(benchmark::kNanosecond);
	benchmark::RegisterBenchmark("loop/epoch/window", BM_LoopEpochWindow)
		->Unit(benchmark::kMicrosecond);
	benchmark::RegisterBenchmark("loop/epoch/policy", BM_LoopEpochPolicy)
		->Unit(benchmark::kMicrosecond);
}

int main(int argc, char **argv)
{
	register_all();
	register_loop();
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 2;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	if (g_failed) {
		std::fprintf(stderr, "mlc-bench-core: a check failed\n");
		return 1;
	}
	return 0;
}
