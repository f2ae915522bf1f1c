// SPDX-License-Identifier: GPL-2.0
//
// /dev/mlcore's ioctl dispatch (src/core/mlcore_dev.c) with random
// commands, random argument bytes placed anywhere around (and off) a
// mapped region, and random fault points in the caller's memory.
//
// Input: operations until the input ends, each
//   cmd     one of the five commands, or any 32-bit number
//   offset  of arg from the region's start, -8..40 (the region is 32 bytes)
//   bytes   up to 16 bytes put at the region's start
//   fault   (FaultPoint) where the copy faults
//   repeat  1, 2, 11 or 51 times (the history ring wraps, training fills)
// and the log file's answer (ok / open failed / write failed) first.
//
// Invariants: the counts stay in range; an unknown command is EINVAL and
// touches no memory; a known one makes exactly the accesses
// mlcore_ioctl_copy() announces (GET_RESULT: one 4-byte copy_to, nothing
// else); a refused op (EFAULT) changes no state and logs nothing; bytes
// outside the copied range are never written; the proc renderings keep
// their contract.
#include <array>
#include <vector>

#include "fuzz_support.hpp"
#include "mlcore_test_support.hpp"

using namespace mlc;
using namespace mlc::test;
using namespace mlc::fuzz;

namespace {

constexpr std::array<unsigned, 5> kCmds = {IOCTL_SEND_INTS, IOCTL_SET_RESULT,
					   IOCTL_GET_RESULT, IOCTL_ADD_TRAINING,
					   IOCTL_CLEAR_TRAINING};
constexpr size_t kRegion = 32;
constexpr std::byte kGuard{0xAA};

void check_counts(const mlcore_dev &d)
{
	MLC_FUZZ_CHECK(d.hist_count >= 0 && d.hist_count <= MLCORE_HISTORY_SIZE,
		       "hist_count %d", d.hist_count);
	MLC_FUZZ_CHECK(d.hist_index >= 0 && d.hist_index < MLCORE_HISTORY_SIZE,
		       "hist_index %d", d.hist_index);
	MLC_FUZZ_CHECK(d.hist_count == MLCORE_HISTORY_SIZE ||
			       d.hist_index == d.hist_count,
		       "index %d with count %d", d.hist_index, d.hist_count);
	MLC_FUZZ_CHECK(d.train_count >= 0 &&
			       d.train_count <= MLCORE_MAX_TRAINING_ENTRIES,
		       "train_count %d", d.train_count);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzedDataProvider fdp(data, size);
	CoreHarness core;
	core.logfile_result = fdp.ConsumeIntegralInRange<int>(0, 2);

	for (int op = 0; op < 64 && fdp.remaining_bytes(); op++) {
		unsigned pick = fdp.ConsumeIntegralInRange<unsigned>(0, kCmds.size());
		unsigned cmd = pick < kCmds.size() ? kCmds[pick]
						   : fdp.ConsumeIntegral<uint32_t>();
		int offset = fdp.ConsumeIntegralInRange<int>(-8, 40);
		std::vector<uint8_t> arg = fdp.ConsumeBytes<uint8_t>(
			fdp.ConsumeIntegralInRange<size_t>(0, 16));
		FaultPoint fp = consume_fault(fdp);
		static const unsigned kRepeats[] = {1, 2, 11, 51};
		const unsigned repeat =
			kRepeats[fdp.ConsumeIntegralInRange<unsigned>(0, 3)];
		trace("op %d: cmd %#x offset %d bytes %zu fault %u/%zu x%u", op, cmd,
		      offset, arg.size(), fp.at, fp.prefix, repeat);
		for (unsigned rep = 0; rep < repeat; rep++) {
			std::vector<std::byte> bytes(kRegion, kGuard);
			if (!arg.empty())
				std::memcpy(bytes.data(), arg.data(), arg.size());
			const std::vector<std::byte> before_bytes = bytes;
			RegionMemory region(GuardedRegion::kBase, bytes);
			FaultyMemory faulty(region, fp.at, fp.prefix);
			RecordingMemory rec(faulty);
			const mlc_uptr uarg = GuardedRegion::kBase + offset;

			const mlcore_dev before = core.dev;
			const size_t events_before = core.events.size();
			const long r = core.ioctl(cmd, uarg, rec);
			const mlcore_dev &after = core.dev;
			check_counts(after);

			mlc_ioctl_copy copy{};
			if (mlcore_ioctl_copy(cmd, &copy) != 0) {
				MLC_FUZZ_CHECK(r == -EINVAL, "unknown %#x gave %ld", cmd, r);
				MLC_FUZZ_CHECK(rec.accesses.empty(), "unknown %#x touched memory",
					       cmd);
				MLC_FUZZ_CHECK(mlcore_cmd_name(cmd) == nullptr, "%#x", cmd);
			} else {
				MLC_FUZZ_CHECK(r == 0 || r == -EFAULT, "%#x gave %ld", cmd, r);
				std::vector<Access> want;
				if (copy.in)
					want.push_back({Access::kFrom, uarg, copy.in});
				if (copy.out)
					want.push_back({Access::kTo, uarg, copy.out});
				MLC_FUZZ_CHECK(rec.accesses == want,
					       "%#x: %zu accesses, not those announced", cmd,
					       rec.accesses.size());
				// One access (or none): it faults when it leaves the
				// region or meets the fault point.
				const long len = copy.in + copy.out;
				const bool faults = len && (offset < 0 || offset + len > (long)kRegion ||
							    (fp.at == 1 && (long)fp.prefix < len));
				MLC_FUZZ_CHECK((r == -EFAULT) == faults, "%#x: %ld", cmd, r);
			}
			// Outside [arg, arg + out) the caller's bytes stay as they were.
			for (size_t i = 0; i < kRegion; i++) {
				bool in_out = copy.out && (long)i >= offset &&
					      (long)i < offset + (long)copy.out;
				if (!in_out || r == -EINVAL)
					MLC_FUZZ_CHECK(bytes[i] == before_bytes[i],
						       "%#x wrote byte %zu", cmd, i);
			}

			if (r != 0) {
				MLC_FUZZ_CHECK(std::memcmp(&before, &after, sizeof(before)) == 0,
					       "refused %#x (%ld) changed the state", cmd, r);
				MLC_FUZZ_CHECK(core.events.size() == events_before,
					       "refused %#x (%ld) logged", cmd, r);
				break;
			}
			switch (cmd) {
			case IOCTL_SEND_INTS:
				MLC_FUZZ_CHECK(std::memcmp(after.features, &bytes[offset], 12) == 0,
					       "features are not the caller's");
				break;
			case IOCTL_SET_RESULT: {
				int32_t v;
				std::memcpy(&v, &bytes[offset], 4);
				MLC_FUZZ_CHECK(after.latest_result == v, "latest_result");
				MLC_FUZZ_CHECK(after.hist_count ==
						       std::min(before.hist_count + 1,
								MLCORE_HISTORY_SIZE),
					       "hist_count");
				break;
			}
			case IOCTL_GET_RESULT:
				MLC_FUZZ_CHECK(std::memcmp(&bytes[offset], &after.latest_result,
							   4) == 0,
					       "GET_RESULT copied another value");
				MLC_FUZZ_CHECK(std::memcmp(&before, &after, sizeof(before)) == 0,
					       "GET_RESULT changed the state");
				break;
			case IOCTL_ADD_TRAINING:
				MLC_FUZZ_CHECK(after.train_count ==
						       std::min(before.train_count + 1,
								MLCORE_MAX_TRAINING_ENTRIES),
					       "train_count");
				break;
			case IOCTL_CLEAR_TRAINING:
				MLC_FUZZ_CHECK(after.train_count == 0, "train_count");
				break;
			}
		}
	}
	(void)checked_render([&](char *b, size_t n) {
		return mlcore_render_result(&core.dev, b, n);
	}, MLCORE_RENDER_MAX, "mlcore_result");
	(void)checked_render([&](char *b, size_t n) {
		return mlcore_render_train(&core.dev, b, n);
	}, MLCORE_RENDER_MAX, "mlcore_train");
	return 0;
}
