// SPDX-License-Identifier: GPL-2.0
//
// Workload traces (docs/closed-loop.md, "Workload traces"): the replay's
// expansion, the `workload` attribute's chunked parser with every refusal
// (EINVAL, one warning line, nothing changed), `synthetic`, reset, and the
// emulator's binary attribute path (Device and the file table).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "loop_test_util.hpp"

extern "C" {
#include "core/vfs_model.h"
}
#include "emulator/device.hpp"

using namespace mlc_test;

namespace {

LogLine warn(std::string t) { return {MLC_KERN_WARNING, std::move(t)}; }

struct TRun {
	uint32_t first, pages;
};

// A trace file's bytes, exactly as the format says (little-endian host).
std::vector<uint8_t> trace_bytes(uint32_t file_pages, const std::vector<TRun> &runs)
{
	ml_loop_trace_header h{};
	h.magic = ML_LOOP_TRACE_MAGIC;
	h.version = ML_LOOP_TRACE_VERSION;
	h.header_size = 32;
	h.file_pages = file_pages;
	h.run_count = static_cast<uint32_t>(runs.size());
	h.total_bytes = 32 + 8 * runs.size();
	std::vector<uint8_t> b(sizeof(h));
	std::memcpy(b.data(), &h, sizeof(h));
	for (const TRun &r : runs) {
		ml_loop_trace_run tr{r.first, r.pages};
		const auto *p = reinterpret_cast<const uint8_t *>(&tr);
		b.insert(b.end(), p, p + sizeof(tr));
	}
	return b;
}

template <typename T>
void poke(std::vector<uint8_t> &b, size_t off, T v)
{
	std::memcpy(b.data() + off, &v, sizeof(v));
}

class Workload : public ::testing::Test {
protected:
	void SetUp() override
	{
		rig = std::make_unique<LoopRig>();
		ASSERT_EQ(rig->load_rc, 0);
	}
	ml_loop_dev &dev() { return rig->dev(); }
	std::vector<LogLine> &log() { return rig->h.log.lines; }

	long chunk(const std::vector<uint8_t> &b, size_t off, size_t len)
	{
		return ml_loop_dev_workload_write(&dev(), rig->host(),
						  reinterpret_cast<const char *>(b.data()) + off,
						  len, static_cast<int64_t>(off));
	}
	long text(const std::string &s, int64_t off = 0)
	{
		return ml_loop_dev_workload_write(&dev(), rig->host(), s.data(), s.size(),
						  off);
	}
	// A caller's write loop: returns the first error, or the bytes sent.
	long write_all(const std::vector<uint8_t> &b)
	{
		size_t off = 0;
		while (off < b.size()) {
			long r = chunk(b, off, b.size() - off);
			if (r <= 0)
				return r;
			off += static_cast<size_t>(r);
		}
		return static_cast<long>(off);
	}
	std::vector<uint8_t> steps(unsigned n)
	{
		EXPECT_EQ(rig->control("step " + std::to_string(n)),
			  static_cast<long>(5 + std::to_string(n).size()));
		return rig->drain();
	}

	std::unique_ptr<LoopRig> rig;
};

}  // namespace

TEST(WorkloadReplay, ExpandsRunsInOrderAndWraps)
{
	const ml_loop_trace_run runs[] = {{10, 3}, {100, 2}};
	uint32_t run = 0, off = 0, out[12];
	ml_loop_replay_accesses(&run, &off, runs, 2, out, 12);
	const uint32_t want[] = {10, 11, 12, 100, 101, 10, 11, 12, 100, 101, 10, 11};
	EXPECT_EQ(std::vector<uint32_t>(out, out + 12), std::vector<uint32_t>(want, want + 12));
	EXPECT_EQ(run, 0u);
	EXPECT_EQ(off, 2u);
	// The cursor goes on from there.
	ml_loop_replay_accesses(&run, &off, runs, 2, out, 2);
	EXPECT_EQ(out[0], 12u);
	EXPECT_EQ(out[1], 100u);
	EXPECT_EQ(run, 1u);
	EXPECT_EQ(off, 1u);
}

TEST_F(Workload, ValidTraceInOneChunkIsInForceFromTheNextEpoch)
{
	auto b = trace_bytes(4096, {{0, 600}, {2000, 100}});
	ASSERT_EQ(b.size(), 48u);
	log().clear();
	EXPECT_EQ(chunk(b, 0, b.size()), 48);
	EXPECT_EQ(log(), std::vector<LogLine>{info("ml_loop: workload trace of 2 runs over 4096 pages")});
	EXPECT_EQ(dev().workload.active, 1u);
	EXPECT_EQ(dev().workload.run_count, 2u);
	EXPECT_EQ(dev().workload.file_pages, 4096u);
	EXPECT_EQ(dev().workload.staged, 0u);

	rig->start();
	auto recs = steps(2);
	ASSERT_EQ(recs.size(), 4u * ML_LOOP_RECORD_SIZE);
	// Epoch 1: pages 0..511, all but the first continue the one before.
	ml_loop_dataset d1 = dataset_at(recs, 0);
	EXPECT_EQ(d1.accesses, 512u);
	EXPECT_EQ(d1.seq_permille, 511u * 1000 / 512);
	EXPECT_EQ(d1.mean_run_x100, 512u * 100 / 1);
	EXPECT_EQ(d1.distinct_permille, 1000u);
	// Epoch 2: 512..599, 2000..2099, then 0..323 again (the wrap).
	EXPECT_EQ(dev().sim.trace[0], 512u) << "sim.trace holds epoch 2";
	EXPECT_EQ(dev().sim.trace[88], 2000u);
	EXPECT_EQ(dev().sim.trace[188], 0u);
	EXPECT_EQ(dev().sim.trace[511], 323u);
	ml_loop_dataset d2 = dataset_at(recs, 2);
	EXPECT_EQ(d2.hdr.epoch, 2u);
	// 512 accesses, runs: 512.., 2000.., 0.. (3 starts; 512 continues 511).
	EXPECT_EQ(d2.seq_permille, (512u - 2) * 1000 / 512);
	EXPECT_EQ(d2.mean_run_x100, 512u * 100 / 2);
	EXPECT_EQ(d2.distinct_permille, 1000u);
}

TEST_F(Workload, EpochAccessesAreTheRunsExpansion)
{
	auto b = trace_bytes(1 << 20, {{1000, 7}, {5, 1}, {900000, 300}});
	ASSERT_EQ(chunk(b, 0, b.size()), static_cast<long>(b.size()));
	rig->start();
	steps(1);
	std::vector<uint32_t> want;
	while (want.size() < ML_LOOP_EPOCH_ACCESSES)
		for (TRun r : std::vector<TRun>{{1000, 7}, {5, 1}, {900000, 300}})
			for (uint32_t i = 0; i < r.pages && want.size() < ML_LOOP_EPOCH_ACCESSES; i++)
				want.push_back(r.first + i);
	EXPECT_EQ(std::vector<uint32_t>(dev().sim.trace, dev().sim.trace + ML_LOOP_EPOCH_ACCESSES),
		  want);
}

TEST_F(Workload, ChunksOf4096AtIncreasingOffsets)
{
	std::vector<TRun> runs;
	for (uint32_t i = 0; i < 2000; i++)
		runs.push_back({i * 10, 3});
	auto b = trace_bytes(20000, runs);
	ASSERT_EQ(b.size(), 16032u);
	// A write of more than a chunk takes 4096 and returns 4096.
	EXPECT_EQ(chunk(b, 0, b.size()), 4096);
	EXPECT_EQ(dev().workload.staged, 4096u);
	EXPECT_EQ(dev().workload.active, 0u) << "not in force before the last chunk";
	EXPECT_EQ(chunk(b, 4096, b.size() - 4096), 4096);
	EXPECT_EQ(chunk(b, 8192, b.size() - 8192), 4096);
	log().clear();
	EXPECT_EQ(chunk(b, 12288, b.size() - 12288), 16032 - 12288);
	EXPECT_EQ(dev().workload.active, 1u);
	EXPECT_EQ(dev().workload.run_count, 2000u);
	EXPECT_EQ(dev().workload.runs[1999].first_page, 19990u);
	EXPECT_EQ(log(), std::vector<LogLine>{info("ml_loop: workload trace of 2000 runs over 20000 pages")});
	// An empty write takes nothing and changes nothing.
	EXPECT_EQ(chunk(b, 0, 0), 0);
	EXPECT_EQ(dev().workload.active, 1u);
}

TEST_F(Workload, LargestTraceIsAcceptedAndOneMoreRunIsTooLarge)
{
	std::vector<TRun> runs(ML_LOOP_TRACE_MAX_RUNS, TRun{7, 2});
	auto b = trace_bytes(9, runs);
	ASSERT_EQ(b.size(), ML_LOOP_TRACE_MAX_BYTES);
	EXPECT_EQ(write_all(b), static_cast<long>(b.size()));
	EXPECT_EQ(dev().workload.run_count, 65536u);

	runs.push_back({7, 2});
	auto big = trace_bytes(9, runs);
	log().clear();
	EXPECT_EQ(write_all(big), -EINVAL);
	EXPECT_EQ(log(), std::vector<LogLine>{warn("ml_loop: workload refused: run_count 65537 outside 1..65536")});
	EXPECT_EQ(dev().workload.run_count, 65536u) << "the trace in force stays";
}

TEST_F(Workload, BadTracesAreEinvalWithOneWarningAndNothingChanged)
{
	// A trace in force and records, to see that nothing changes.
	auto good = trace_bytes(3000, {{100, 700}, {2500, 20}});
	ASSERT_EQ(write_all(good), static_cast<long>(good.size()));
	rig->start();
	steps(1);

	auto base = trace_bytes(1000, {{0, 10}, {500, 20}});
	struct Case {
		const char *what;
		std::vector<uint8_t> bytes;
		std::string line;
	};
	std::vector<Case> cases;
	auto with = [&](const char *what, auto spoil, std::string line) {
		auto b = base;
		spoil(b);
		cases.push_back({what, b, std::move(line)});
	};
	with("magic", [](auto &b) { poke<uint32_t>(b, 0, 0x12345678); },
	     "bad magic 0x12345678");
	with("version", [](auto &b) { poke<uint16_t>(b, 4, 2); }, "version 2 (only 1)");
	with("header size", [](auto &b) { poke<uint16_t>(b, 6, 48); },
	     "header size 48 (only 32)");
	with("file_pages 0", [](auto &b) { poke<uint32_t>(b, 8, 0); },
	     "file_pages 0 outside 1..1048576");
	with("file_pages 2^20+1", [](auto &b) { poke<uint32_t>(b, 8, (1u << 20) + 1); },
	     "file_pages 1048577 outside 1..1048576");
	with("run_count 0", [](auto &b) { poke<uint32_t>(b, 12, 0); },
	     "run_count 0 outside 1..65536");
	with("total_bytes", [](auto &b) { poke<uint64_t>(b, 16, 40); },
	     "total_bytes 40 is not 32 + 8 * 2");
	with("reserved", [](auto &b) { poke<uint32_t>(b, 28, 1); }, "reserved field not 0");
	with("pages 0", [](auto &b) { poke<uint32_t>(b, 32 + 8 + 4, 0); },
	     "run 1: 0 pages outside 1..65535");
	with("pages 65536", [](auto &b) {
		poke<uint32_t>(b, 8, 1u << 20);
		poke<uint32_t>(b, 32 + 4, 65536);
	}, "run 0: 65536 pages outside 1..65535");
	with("first page beyond", [](auto &b) { poke<uint32_t>(b, 32 + 8, 1000); },
	     "run 1: pages 1000..1019 beyond the file's 1000 pages");
	with("run past the end", [](auto &b) { poke<uint32_t>(b, 32 + 8, 990); },
	     "run 1: pages 990..1009 beyond the file's 1000 pages");
	{
		auto b = base;
		b.resize(44);
		cases.push_back({"truncated", b, "truncated: 44 of 48 bytes"});
		b.resize(20);
		cases.push_back({"truncated header", b, "truncated: 20 of 32 header bytes"});
		b = base;
		b.push_back(0);
		cases.push_back({"trailing byte", b,
				 "chunk of 49 bytes at offset 0 passes total_bytes 48"});
	}

	for (const auto &c : cases) {
		SCOPED_TRACE(c.what);
		// Everything before the workload, and the workload in force.
		std::vector<uint8_t> before(reinterpret_cast<uint8_t *>(&dev()),
					    reinterpret_cast<uint8_t *>(&dev().workload.staged));
		std::vector<uint8_t> runs_before(
			reinterpret_cast<uint8_t *>(dev().workload.runs),
			reinterpret_cast<uint8_t *>(dev().workload.runs + 2));
		log().clear();
		EXPECT_EQ(chunk(c.bytes, 0, c.bytes.size()), -EINVAL);
		EXPECT_EQ(log(), std::vector<LogLine>{warn("ml_loop: workload refused: " + c.line)});
		EXPECT_EQ(std::vector<uint8_t>(reinterpret_cast<uint8_t *>(&dev()),
					       reinterpret_cast<uint8_t *>(&dev().workload.staged)),
			  before);
		EXPECT_EQ(std::vector<uint8_t>(reinterpret_cast<uint8_t *>(dev().workload.runs),
					       reinterpret_cast<uint8_t *>(dev().workload.runs + 2)),
			  runs_before);
		EXPECT_EQ(dev().workload.staged, 0u);
		EXPECT_EQ(dev().workload.stage_total, 0u);
	}

	// The records after the refusals are those of a run without them.
	LoopRig other;
	ASSERT_EQ(ml_loop_dev_workload_write(&other.dev(), other.host(),
					     reinterpret_cast<const char *>(good.data()),
					     good.size(), 0),
		  static_cast<long>(good.size()));
	other.start();
	ASSERT_EQ(other.control("step 1"), 6);
	other.drain();
	ASSERT_EQ(other.control("step 3"), 6);
	EXPECT_EQ(steps(3), other.drain());
}

TEST_F(Workload, ChunksOutOfOrderAreRefused)
{
	std::vector<TRun> runs(1000, TRun{0, 1});
	auto b = trace_bytes(1, runs);	// 8032 bytes: two full chunks and a tail
	log().clear();
	EXPECT_EQ(chunk(b, 4096, 4096), -EINVAL) << "no trace started";
	EXPECT_EQ(log(), std::vector<LogLine>{warn("ml_loop: workload refused: chunk at offset 4096, expected 0")});
	ASSERT_EQ(chunk(b, 0, 4096), 4096);
	log().clear();
	EXPECT_EQ(chunk(b, 4000, 4032), -EINVAL);
	EXPECT_EQ(log(), std::vector<LogLine>{warn("ml_loop: workload refused: chunk at offset 4000, expected 4096")});
	EXPECT_EQ(dev().workload.staged, 0u) << "the staged bytes are discarded";
	// So the rest of the trace cannot follow any more.
	log().clear();
	EXPECT_EQ(chunk(b, 4096, 4096), -EINVAL);
	EXPECT_EQ(dev().workload.active, 0u);
	// A chunk at offset 0 starts afresh, discarding what was staged.
	ASSERT_EQ(chunk(b, 0, 4096), 4096);
	ASSERT_EQ(chunk(b, 0, 4096), 4096);
	EXPECT_EQ(dev().workload.staged, 4096u);
	EXPECT_EQ(chunk(b, 4096, b.size() - 4096), static_cast<long>(b.size() - 4096));
	EXPECT_EQ(dev().workload.active, 1u);
}

TEST_F(Workload, TruncatedAtAChunkBoundaryStaysStaged)
{
	std::vector<TRun> runs(1000, TRun{0, 1});
	auto b = trace_bytes(1, runs);
	ASSERT_EQ(chunk(b, 0, 4096), 4096);
	// The writer stops here (EOF at 4096): nothing can tell, nothing changes.
	EXPECT_EQ(dev().workload.active, 0u);
	EXPECT_EQ(dev().workload.staged, 4096u);
	// The next trace at offset 0 discards it.
	auto small = trace_bytes(10, {{0, 10}});
	EXPECT_EQ(chunk(small, 0, small.size()), 40);
	EXPECT_EQ(dev().workload.active, 1u);
	EXPECT_EQ(dev().workload.run_count, 1u);
}

TEST_F(Workload, SyntheticReturnsToTheGeneratorAndResetKeepsTheTrace)
{
	// Records of a fresh device from the same seed.
	LoopRig fresh;
	fresh.start();
	ASSERT_EQ(fresh.control("step 4"), 6);
	auto synthetic_recs = fresh.drain();

	auto b = trace_bytes(2048, {{0, 1500}, {1600, 400}});
	ASSERT_EQ(chunk(b, 0, b.size()), static_cast<long>(b.size()));
	rig->start();
	auto trace_recs = steps(4);
	EXPECT_NE(trace_recs, synthetic_recs);

	// reset keeps the trace and restarts it at run 0: the same records.
	ASSERT_EQ(rig->control("reset"), 5);
	EXPECT_EQ(dev().workload.active, 1u);
	EXPECT_EQ(steps(4), trace_recs);

	// `synthetic` (with or without a newline): the generator again.
	log().clear();
	EXPECT_EQ(text("synthetic\n"), 10);
	EXPECT_EQ(log(), std::vector<LogLine>{info("ml_loop: workload synthetic")});
	EXPECT_EQ(dev().workload.active, 0u);
	ASSERT_EQ(rig->control("reset"), 5);
	EXPECT_EQ(steps(4), synthetic_recs);
	EXPECT_EQ(chunk(b, 0, b.size()), static_cast<long>(b.size()));
	EXPECT_EQ(text("synthetic"), 9);
	EXPECT_EQ(dev().workload.active, 0u);
	// Anything else is a header to check; `synthetic` elsewhere is a chunk.
	log().clear();
	EXPECT_EQ(text("synthetic\n\n"), -EINVAL);
	EXPECT_EQ(text("synthetic", 4096), -EINVAL);
	EXPECT_EQ(log().size(), 2u);
	EXPECT_EQ(dev().workload.active, 0u);
}

TEST_F(Workload, ModuleLoadIsSynthetic)
{
	auto b = trace_bytes(10, {{0, 10}});
	ASSERT_EQ(chunk(b, 0, b.size()), 40);
	ml_loop_dev_unload(&dev(), rig->host());
	ASSERT_EQ(ml_loop_dev_load(&dev(), rig->host()), 0);
	EXPECT_EQ(dev().workload.active, 0u);
}

TEST(WorkloadBinAttr, CutToAPageWithTheOffsetAndFaults)
{
	// The VFS model's bin-attribute write: one page, the position passed.
	struct Seen {
		size_t count = 0;
		int64_t off = -1;
	} seen;
	auto store = [](void *priv, mlc_host *, const char *, size_t count,
			int64_t off) -> long {
		auto *s = static_cast<Seen *>(priv);
		s->count = count;
		s->off = off;
		return static_cast<long>(count);
	};
	TestHost h(1 << 16);
	char buf[MLC_SYSFS_PAGE_SIZE];
	EXPECT_EQ(mlc_vfs_sysfs_bin_write(h.get(), h.addr(0), 10000, 8192, buf, store, &seen),
		  4096);
	EXPECT_EQ(seen.count, 4096u);
	EXPECT_EQ(seen.off, 8192);
	seen = {};
	EXPECT_EQ(mlc_vfs_sysfs_bin_write(h.get(), h.addr(0), 0, 0, buf, store, &seen), 0);
	EXPECT_EQ(seen.off, -1) << "an empty write never reaches the store";
	EXPECT_EQ(mlc_vfs_sysfs_bin_write(h.get(), h.addr((1 << 16) - 100), 200, 0, buf, store,
					  &seen),
		  -EFAULT);
	EXPECT_EQ(seen.off, -1);
}

TEST(WorkloadDevice, ThroughTheEmulatorsDevice)
{
	mlc::LocalDevice dev(mlc::DeviceServices::make(mlc::ClockSpec{true, 1767225600}, "", 5));
	mlc::LocalMemory mem;
	std::vector<TRun> runs(1000, TRun{3, 2});
	auto b = trace_bytes(8, runs);
	size_t off = 0;
	while (off < b.size()) {
		long r = dev->mlloop_workload_write(reinterpret_cast<mlc_uptr>(b.data() + off),
						    b.size() - off, static_cast<int64_t>(off), mem);
		ASSERT_GT(r, 0);
		ASSERT_LE(r, 4096);
		off += static_cast<size_t>(r);
	}
	EXPECT_EQ(off, b.size());
	bool logged = false;
	for (const auto &r : dev->kernel_log())
		logged |= r.text.find(
				  "ml_loop: workload trace of 1000 runs over 8 pages") == 0;
	EXPECT_TRUE(logged);
	// The trace survives control's reset (not a reload).
	std::string reset = "reset";
	EXPECT_EQ(dev->mlloop_control_write(reinterpret_cast<mlc_uptr>(reset.data()),
					    reset.size(), mem),
		  5);
	auto snap = std::make_unique<ml_loop_dev>(dev->mlloop_snapshot());
	EXPECT_EQ(snap->workload.active, 1u);
	dev->reload();
	EXPECT_EQ(dev->mlloop_snapshot().workload.active, 0u);
}

TEST_F(Workload, ReadaheadStopsAtTheTracesFileEnd)
{
	auto b = trace_bytes(10, {{0, 10}});
	ASSERT_EQ(chunk(b, 0, b.size()), 40);
	rig->start();
	steps(1);
	// Window 256 from page 0 reads the file's 10 pages, once: one miss.
	EXPECT_EQ(dev().sim.cand[ML_LOOP_NR_CANDIDATES - 1].cost, ml_loop_miss_cost(10));
	EXPECT_EQ(dev().sim.cand[ML_LOOP_NR_CANDIDATES - 1].misses, 1u);
	EXPECT_EQ(dev().sim.act.file_pages, 10u);
	// The generator's file again after `synthetic`.
	ASSERT_EQ(text("synthetic"), 9);
	steps(1);
	EXPECT_EQ(dev().sim.act.file_pages, ML_LOOP_FILE_PAGES);
}
