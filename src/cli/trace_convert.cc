// SPDX-License-Identifier: GPL-2.0
//
// The recorder's events as a workload trace ("MLTRACE" v1,
// include/uapi/ml_loop.h; docs/closed-loop.md, "Recording"): one extent per
// distinct file, in the order first read, aligned to 256 pages; each read
// the run of pages its bytes cover.
#include <algorithm>
#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "tools/trace/trace_event.h"

extern "C" {
#include "uapi/ml_loop.h"
}

namespace mlc::cli {

namespace {

constexpr uint64_t kPage = 4096; // the trace's page, as the kernel's

[[noreturn]] void fail(const std::string &msg)
{
	throw TraceError(msg);
}

struct Extent {
	uint64_t base = 0;
	uint64_t pages = 1;
};

} // namespace

TraceSummary events_to_trace(const std::vector<mlcore_trace_event> &events,
			     std::vector<uint8_t> *out)
{
	TraceSummary sum;
	// Each distinct file, in the order first read, and its extent's size.
	std::map<std::pair<uint64_t, uint64_t>, size_t> index;
	std::vector<Extent> extents;
	for (const auto &e : events) {
		auto key = std::make_pair(e.dev, e.ino);
		auto [it, fresh] = index.try_emplace(key, extents.size());
		if (fresh)
			extents.emplace_back();
		Extent &x = extents[it->second];
		uint64_t end = e.off + e.len;
		x.pages = std::max({ x.pages, (e.size + kPage - 1) / kPage,
				     (end + kPage - 1) / kPage });
	}
	uint64_t next = 0;
	for (auto &x : extents) {
		x.base = next;
		next = (x.base + x.pages + ML_LOOP_TRACE_EXTENT_ALIGN - 1) /
		       ML_LOOP_TRACE_EXTENT_ALIGN * ML_LOOP_TRACE_EXTENT_ALIGN;
	}
	uint64_t file_pages =
		extents.empty() ? 0 :
				  extents.back().base + extents.back().pages;
	sum.reads = events.size();
	sum.files = extents.size();
	sum.file_pages = file_pages;
	if (events.empty())
		fail("recorded no file read");
	if (file_pages > ML_LOOP_TRACE_MAX_FILE_PAGES)
		fail(fmt::format(
			"the {} files read need {} pages, more than a trace's "
			"{} (4 GiB): record a smaller run",
			extents.size(), file_pages,
			ML_LOOP_TRACE_MAX_FILE_PAGES));

	std::vector<ml_loop_trace_run> runs;
	for (const auto &e : events) {
		const Extent &x = extents[index[{ e.dev, e.ino }]];
		uint64_t first = x.base + e.off / kPage;
		uint64_t last = x.base + (e.off + e.len - 1) / kPage;
		while (first <= last) {
			uint64_t n = std::min<uint64_t>(
				last - first + 1, ML_LOOP_TRACE_MAX_RUN_PAGES);
			// A run that continues the previous one exactly: the same accesses.
			if (!runs.empty() &&
			    runs.back().first_page + runs.back().pages ==
				    first &&
			    runs.back().pages + n <=
				    ML_LOOP_TRACE_MAX_RUN_PAGES)
				runs.back().pages += static_cast<uint32_t>(n);
			else
				runs.push_back({ static_cast<uint32_t>(first),
						 static_cast<uint32_t>(n) });
			first += n;
		}
	}
	sum.runs = runs.size();
	if (runs.size() > ML_LOOP_TRACE_MAX_RUNS)
		fail(fmt::format(
			"{} reads make {} runs, more than a trace's {}: record a "
			"smaller run",
			events.size(), runs.size(), ML_LOOP_TRACE_MAX_RUNS));

	ml_loop_trace_header h{};
	h.magic = ML_LOOP_TRACE_MAGIC;
	h.version = ML_LOOP_TRACE_VERSION;
	h.header_size = sizeof(h);
	h.file_pages = static_cast<uint32_t>(file_pages);
	h.run_count = static_cast<uint32_t>(runs.size());
	h.total_bytes = sizeof(h) + runs.size() * sizeof(ml_loop_trace_run);
	out->resize(h.total_bytes);
	std::memcpy(out->data(), &h, sizeof(h));
	std::memcpy(out->data() + sizeof(h), runs.data(),
		    runs.size() * sizeof(runs[0]));
	sum.bytes = out->size();
	return sum;
}

} // namespace mlc::cli
