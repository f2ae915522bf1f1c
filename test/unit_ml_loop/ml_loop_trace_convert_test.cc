// SPDX-License-Identifier: GPL-2.0
//
// `mlcore-emu trace record`'s conversion of the recorder's events into a
// workload trace (docs/closed-loop.md, "How a program's files map into the
// simulated file"): extents, runs, merging, splitting and the limits.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "cli/commands.hpp"
#include "tools/trace/trace_event.h"

extern "C" {
#include "uapi/ml_loop.h"
}

namespace {

mlcore_trace_event ev(uint64_t ino, uint64_t size, uint64_t off, uint64_t len)
{
	mlcore_trace_event e{};
	e.pid = 1;
	e.kind = 1;
	e.dev = 8;
	e.ino = ino;
	e.size = size;
	e.off = off;
	e.len = len;
	return e;
}

struct Trace {
	ml_loop_trace_header h;
	std::vector<std::pair<uint32_t, uint32_t>> runs;
};

Trace parse(const std::vector<uint8_t> &b)
{
	Trace t;
	std::memcpy(&t.h, b.data(), sizeof(t.h));
	for (size_t off = sizeof(t.h); off < b.size(); off += 8) {
		ml_loop_trace_run r;
		std::memcpy(&r, b.data() + off, sizeof(r));
		t.runs.emplace_back(r.first_page, r.pages);
	}
	return t;
}

using Runs = std::vector<std::pair<uint32_t, uint32_t>>;

}  // namespace

TEST(TraceConvert, ExtentsInFirstReadOrderAlignedTo256)
{
	std::vector<uint8_t> out;
	auto sum = mlc::cli::events_to_trace(
		{ev(5, 300 * 4096 + 1, 0, 4096),	// file 5: 301 pages at 0
		 ev(5, 300 * 4096 + 1, 4096, 8192),	// continues: merged
		 ev(9, 10, 0, 10),			// file 9: 1 page at 512
		 ev(7, 0, 4096 * 3, 1),		// file 7: grew past its size
		 ev(9, 10, 0, 10)},
		&out);
	Trace t = parse(out);
	EXPECT_EQ(t.h.magic, ML_LOOP_TRACE_MAGIC);
	EXPECT_EQ(t.h.version, 1);
	EXPECT_EQ(t.h.header_size, 32);
	EXPECT_EQ(t.h.run_count, 4u);
	EXPECT_EQ(t.h.total_bytes, 32u + 8 * 4);
	EXPECT_EQ(t.h.reserved[0] | t.h.reserved[1], 0u);
	EXPECT_EQ(t.runs, (Runs{{0, 3}, {512, 1}, {768 + 3, 1}, {512, 1}}));
	EXPECT_EQ(t.h.file_pages, 768u + 4);
	EXPECT_EQ(sum.reads, 5u);
	EXPECT_EQ(sum.files, 3u);
	EXPECT_EQ(sum.runs, 4u);
	EXPECT_EQ(sum.bytes, out.size());
}

TEST(TraceConvert, PagesAByteRangeCovers)
{
	std::vector<uint8_t> out;
	mlc::cli::events_to_trace({ev(1, 1 << 20, 4095, 2), ev(1, 1 << 20, 8192, 4096),
				   ev(1, 1 << 20, 100, 1)},
				  &out);
	// 4095..4096: pages 0-1; 8192..12287: page 2 (continues: merged).
	EXPECT_EQ(parse(out).runs, (Runs{{0, 3}, {0, 1}}));
}

TEST(TraceConvert, LongReadsAreSplitAt65535Pages)
{
	std::vector<uint8_t> out;
	uint64_t pages = 70000;
	mlc::cli::events_to_trace({ev(1, pages * 4096, 0, pages * 4096),
				   ev(1, pages * 4096, 0, 4096)},
				  &out);
	EXPECT_EQ(parse(out).runs, (Runs{{0, 65535}, {65535, 70000 - 65535}, {0, 1}}));
}

TEST(TraceConvert, LimitsAreOneLineErrors)
{
	std::vector<uint8_t> out;
	EXPECT_THROW(mlc::cli::events_to_trace({}, &out), mlc::cli::TraceError);
	try {
		mlc::cli::events_to_trace({}, &out);
	} catch (const mlc::cli::TraceError &e) {
		EXPECT_STREQ(e.what(), "recorded no file read");
	}
	// 65537 runs: every other page of a file.
	std::vector<mlcore_trace_event> many;
	for (uint64_t i = 0; i < 65537; i++)
		many.push_back(ev(1, 140000 * 4096, 2 * i * 4096, 1));
	EXPECT_THROW(mlc::cli::events_to_trace(many, &out), mlc::cli::TraceError);
	many.pop_back();
	auto sum = mlc::cli::events_to_trace(many, &out);
	EXPECT_EQ(sum.runs, 65536u);
	EXPECT_EQ(out.size(), ML_LOOP_TRACE_MAX_BYTES);
	// More than 2^20 pages of extents.
	EXPECT_THROW(mlc::cli::events_to_trace({ev(1, (1ull << 20) * 4096, 0, 1),
						ev(2, 1, 0, 1)},
					       &out),
		     mlc::cli::TraceError);
	EXPECT_NO_THROW(mlc::cli::events_to_trace({ev(1, (1ull << 20) * 4096, 0, 1)}, &out));
}
