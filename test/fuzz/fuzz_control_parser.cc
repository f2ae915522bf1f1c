// SPDX-License-Identifier: GPL-2.0
//
// The `control` parsers (src/core/ml_lib_model.c): v1's prefix-matching
// ml_lib_model_parse_control() and the loop's ml_lib_model_parse_control_ext(),
// against a reference written from their documented rule (command i
// matches when the first min(count, strlen(cmd_i)) bytes agree, in the
// order start, stop, prepare_dataset, discard_dataset[, step, reset]);
// then the whole input as one write(2) on ml_model1's `control` (sysfs
// write model + the library's store) and on ml_readahead's (the loop's
// store, whose `step N` argument parser it reaches), on fresh devices.
//
// Input: the raw bytes of the write (any length: sysfs cuts at 4096).
// Invariants: the parsers agree with the reference; the stores return the
// count they were given or -errno, and a refused write changes nothing;
// `step N` succeeds exactly for a valid N (docs/closed-loop.md grammar)
// and then runs N epochs.
#include <memory>
#include <string_view>

#include "fuzz_support.hpp"
#include "loop_test_util.hpp"

using namespace mlc::fuzz;
using mlc_test::LoopRig;
using mlc_test::TestHost;

namespace {

int ref_parse(std::string_view buf, int ncmds)
{
	static const char *const cmds[] = {"start", "stop", "prepare_dataset",
					   "discard_dataset", "step", "reset"};
	for (int i = 0; i < ncmds; i++) {
		std::string_view c = cmds[i];
		size_t n = std::min(buf.size(), c.size());
		if (buf.substr(0, n) == c.substr(0, n))
			return i;
	}
	return -EOPNOTSUPP;
}

// "step", one or more blanks (space or tab), decimal N in 1..10000, then
// only blanks or newlines up to the end or a NUL.
bool ref_step(std::string_view b, uint32_t *n)
{
	if (b.size() <= 4 || b.substr(0, 4) != "step" || (b[4] != ' ' && b[4] != '\t'))
		return false;
	size_t i = 4;
	while (i < b.size() && (b[i] == ' ' || b[i] == '\t'))
		i++;
	uint64_t v = 0;
	size_t digits = 0;
	for (; i < b.size() && b[i] >= '0' && b[i] <= '9'; i++, digits++)
		v = std::min<uint64_t>(v * 10 + (b[i] - '0'), 1u << 20);
	while (i < b.size() && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n'))
		i++;
	if (!digits || (i < b.size() && b[i] != '\0') || v < 1 ||
	    v > ML_LOOP_STEP_MAX)
		return false;
	*n = static_cast<uint32_t>(v);
	return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::string_view in(reinterpret_cast<const char *>(data), size);
	const std::string_view page = in.substr(0, MLC_SYSFS_PAGE_SIZE);

	const int v1 = ml_lib_model_parse_control(in.data(), in.size());
	const int ext = ml_lib_model_parse_control_ext(in.data(), in.size());
	MLC_FUZZ_CHECK(v1 == ref_parse(in, ML_LIB_CONTROL_CMD_MAX), "v1 parser %d", v1);
	MLC_FUZZ_CHECK(ext == ref_parse(in, ML_LIB_CONTROL_EXT_CMD_MAX),
		       "extended parser %d", ext);
	MLC_FUZZ_CHECK(v1 < 0 || ext == v1, "extension changed a v1 answer");

	// ml_model1's control, through the sysfs write (one device per
	// process, back to its load-time state for every input).
	{
		static TestHost &h = *new TestHost(16);
		static ml_lib_test_dev *const dev = [] {
			auto *d = new ml_lib_test_dev;
			ml_lib_test_dev_load(d, h.get());
			return d;
		}();
		static const ml_lib_test_dev &loaded = *new ml_lib_test_dev(*dev);
		*dev = loaded;
		h.set_user_size(size + 1);
		if (size)
			h.poke(0, data, size);
		h.log.lines.clear();
		const ml_lib_test_dev *const before = &loaded;
		const size_t lines = 0;
		char buf[MLC_SYSFS_PAGE_SIZE + 1];
		long r = mlc_vfs_sysfs_write(h.get(), h.addr(0), size, buf,
					     ml_lib_test_dev_control_store, dev);
		trace("ml_model1 control of %zu bytes: %ld", size, r);
		const int cmd = ref_parse(page, ML_LIB_CONTROL_CMD_MAX);
		if (size == 0)
			MLC_FUZZ_CHECK(r == 0, "empty write gave %ld", r);
		else if (cmd < 0)
			MLC_FUZZ_CHECK(r == -EOPNOTSUPP, "no command gave %ld", r);
		else
			MLC_FUZZ_CHECK(r == (long)page.size(), "command %d gave %ld", cmd, r);
		if (r <= 0)
			MLC_FUZZ_CHECK(std::memcmp(before, dev, sizeof(*dev)) == 0 &&
					       h.log.lines.size() == lines,
				       "refused control changed ml_model1");
	}

	// ml_readahead's control, started first so `step` may run, except for
	// a step of more than 16 epochs (slow): stopped, the store parses N
	// and then refuses with EAGAIN.
	{
		const int cmd = ref_parse(page, ML_LIB_CONTROL_EXT_CMD_MAX);
		uint32_t n = 0;
		const bool valid_step = cmd == ML_LIB_CONTROL_STEP && ref_step(page, &n);
		const bool started = !valid_step || n <= 16;
		static LoopRig &rig = *new LoopRig;
		static const ml_loop_dev &loaded = *new ml_loop_dev(rig.dev());
		static ml_loop_dev *const before = new ml_loop_dev;
		rig.dev() = loaded;
		if (started)
			rig.start();
		rig.h.set_user_size(size + 1);
		if (size)
			rig.h.poke(0, data, size);
		rig.h.log.lines.clear();
		*before = rig.dev();
		const size_t lines = 0;
		char buf[MLC_SYSFS_PAGE_SIZE + 1];
		long r = mlc_vfs_sysfs_write(rig.host(), rig.h.addr(0), size, buf,
					     ml_loop_dev_control_store, &rig.dev());
		trace("ml_readahead control of %zu bytes: %ld", size, r);
		if (size == 0)
			MLC_FUZZ_CHECK(r == 0, "empty write gave %ld", r);
		else if (cmd < 0)
			MLC_FUZZ_CHECK(r == -EOPNOTSUPP, "no command gave %ld", r);
		else if (cmd == ML_LIB_CONTROL_STEP && !valid_step)
			MLC_FUZZ_CHECK(r == -EINVAL, "bad step gave %ld", r);
		else if (!started)
			MLC_FUZZ_CHECK(r == -EAGAIN, "step on a stopped model gave %ld", r);
		else
			MLC_FUZZ_CHECK(r == (long)page.size(), "command %d gave %ld", cmd, r);
		if (r == (long)page.size() && cmd == ML_LIB_CONTROL_STEP)
			MLC_FUZZ_CHECK(rig.dev().epochs == before->epochs + n,
				       "step %u ran %llu epochs", n,
				       (unsigned long long)(rig.dev().epochs - before->epochs));
		if (r <= 0)
			MLC_FUZZ_CHECK(std::memcmp(before, &rig.dev(), sizeof(ml_loop_dev)) == 0 &&
					       rig.h.log.lines.size() == lines,
				       "refused control changed ml_readahead");
	}
	return 0;
}
