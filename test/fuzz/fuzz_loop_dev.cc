// SPDX-License-Identifier: GPL-2.0
//
// /dev/mlloop and ml_readahead's control (src/core/ml_loop_dev.c) on the
// loop unit tests' LoopRig: record writes, reads, the ioctl and `control`
// (start, stop, reset, prepare/discard_dataset, `step N` with N 1..8, or
// any bytes; no `step` once 24 epochs ran: the simulation is the cost of
// an execution), in any order.
//
// Records are written as the input says: 0..5 records, each a valid
// RECOMMENDATION, a header of any type (POLICY, type 4, included: once
// policies land this reaches their parser), or raw bytes, then up to
// three (offset, bytes) patches over the record; the length may be cut
// off a multiple of 64 and the copy may fault anywhere.
//
// Invariants: the queue's head and count stay in range; a read returns
// whole DATASET/FEEDBACK records, at most count bytes, and they leave the
// queue; a refused write changes nothing but the refused counter (by one
// for EINVAL, none for EFAULT); an accepted RECOMMENDATION write puts the
// last record's window in force; IOCPENDING writes the 4-byte count;
// mode and state stay valid; renderings fit.
#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "loop_test_util.hpp"

using namespace mlc::fuzz;
using mlc_test::LoopRig;

namespace {

constexpr size_t kRec = ML_LOOP_RECORD_SIZE;
constexpr uint16_t kPolicyType = 4;	// ML_LOOP_REC_POLICY (FORMATS-v2.md)
constexpr uint64_t kEpochBudget = 24;

void check_state(const ml_loop_dev &d)
{
	MLC_FUZZ_CHECK(d.q_count <= ML_LOOP_QUEUE_LEN, "q_count %u", d.q_count);
	MLC_FUZZ_CHECK(d.q_head < ML_LOOP_QUEUE_LEN, "q_head %u", d.q_head);
	MLC_FUZZ_CHECK(d.model.mode >= ML_LIB_EMERGENCY_MODE &&
			       d.model.mode <= ML_LIB_RECOMMENDATION_MODE,
		       "mode %u", d.model.mode);
	MLC_FUZZ_CHECK(d.model.state < ML_LIB_MODEL_STATE_MAX, "state %u",
		       d.model.state);
	MLC_FUZZ_CHECK(d.rec_window == ML_LOOP_NO_WINDOW ||
			       d.rec_window <= ML_LOOP_MAX_WINDOW ||
			       d.rec_window == 0xfffffffeu /* a policy */,
		       "window %u", d.rec_window);
	MLC_FUZZ_CHECK(d.quality_milli <= ML_LOOP_Q_MAX_MILLI, "quality %u",
		       d.quality_milli);
}

void renders(const ml_loop_dev &d)
{
	auto r = [&](auto fn, const char *what) {
		(void)checked_render([&](char *b, size_t n) { return fn(&d, b, n); },
				     ML_LOOP_DEV_RENDER_MAX, what);
	};
	r(ml_loop_dev_show_mode, "mode");
	r(ml_loop_dev_show_state, "state");
	r(ml_loop_dev_show_efficiency, "efficiency");
	r(ml_loop_dev_show_stats, "stats");
}

std::array<uint8_t, kRec> consume_record(FuzzedDataProvider &fdp, uint16_t *type)
{
	std::array<uint8_t, kRec> rec{};
	unsigned kind = fdp.ConsumeIntegralInRange<unsigned>(0, 2);
	if (kind == 2) {
		std::vector<uint8_t> raw = fdp.ConsumeBytes<uint8_t>(kRec);
		std::copy(raw.begin(), raw.end(), rec.begin());
	} else {
		uint32_t window = fdp.ConsumeIntegralInRange<uint32_t>(0, ML_LOOP_MAX_WINDOW);
		uint32_t confidence = fdp.ConsumeIntegralInRange<uint32_t>(0, 1000);
		ml_loop_recommendation r = mlc_test::make_rec(window, confidence);
		if (kind == 1)
			r.hdr.type = fdp.ConsumeIntegralInRange<uint16_t>(0, 5);
		std::memcpy(rec.data(), &r, sizeof(r));
	}
	for (unsigned p = fdp.ConsumeIntegralInRange<unsigned>(0, 3); p; p--) {
		size_t off = fdp.ConsumeIntegralInRange<size_t>(0, kRec - 1);
		std::vector<uint8_t> b = fdp.ConsumeBytes<uint8_t>(
			fdp.ConsumeIntegralInRange<size_t>(1, 8));
		std::copy_n(b.begin(), std::min(b.size(), kRec - off), rec.begin() + off);
	}
	std::memcpy(type, rec.data() + 4, sizeof(*type));
	return rec;
}

bool same_but_refused(const ml_loop_dev &a, const ml_loop_dev &b, uint64_t refused)
{
	ml_loop_dev x = a;
	x.rec_refused = refused;
	return std::memcmp(&x, &b, sizeof(x)) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzedDataProvider fdp(data, size);
	// One rig per process, back to its load-time state for every input
	// (a fresh LoopRig costs more than most inputs).
	static LoopRig &rig = *new LoopRig;
	static const ml_loop_dev &loaded = *new ml_loop_dev(rig.dev());
	static ml_loop_dev *const before_buf = new ml_loop_dev;
	MLC_FUZZ_CHECK(rig.load_rc == 0, "load %d", rig.load_rc);
	ml_loop_dev &dev = rig.dev();
	dev = loaded;
	rig.h.log.lines.clear();
	ml_loop_dev *const before = before_buf;

	for (int op = 0; op < 48 && fdp.remaining_bytes(); op++) {
		const unsigned what = fdp.ConsumeIntegralInRange<unsigned>(0, 4);
		*before = dev;
		const size_t lines = rig.h.log.lines.size();
		rig.h.set_user_size(8 * kRec);
		switch (what) {
		case 0: {	// write(2) of records
			unsigned n = fdp.ConsumeIntegralInRange<unsigned>(0, 5);
			bool all_recs = true, policy = false;
			std::vector<uint32_t> windows;
			for (unsigned i = 0; i < n; i++) {
				uint16_t type;
				auto rec = consume_record(fdp, &type);
				rig.h.poke(i * kRec, rec.data(), kRec);
				all_recs &= type == ML_LOOP_REC_RECOMMENDATION;
				policy |= type == kPolicyType;
				uint32_t w;
				std::memcpy(&w, rec.data() + 16, 4);
				windows.push_back(w);
			}
			size_t count = n * kRec;
			size_t cut = fdp.ConsumeBool() ? fdp.ConsumeIntegralInRange<size_t>(0, 63) : 0;
			count = count >= cut ? count - cut : count + cut;
			FaultPoint fp = consume_fault(fdp);
			trace("op %d: write %u records, %zu bytes, fault %u/%zu", op, n, count,
			      fp.at, fp.prefix);
			mlc_host host = *rig.host();
			mlc::RegionMemory &region = *static_cast<mlc::RegionMemory *>(host.user);
			FaultyMemory faulty(region, fp.at, fp.prefix);
			host.user = &faulty;
			long r = ml_loop_dev_write(&dev, &host, rig.h.addr(0), count);
			if (r < 0) {
				MLC_FUZZ_CHECK(r == -EINVAL || r == -EFAULT, "write gave %ld", r);
				if (r == -EFAULT)
					MLC_FUZZ_CHECK(same_but_refused(*before, dev, before->rec_refused) &&
							       rig.h.log.lines.size() == lines,
						       "faulting write changed state");
				else
					MLC_FUZZ_CHECK(same_but_refused(*before, dev, before->rec_refused + 1) &&
							       rig.h.log.lines.size() == lines + 1,
						       "refused write changed state or logged %zu lines",
						       rig.h.log.lines.size() - lines);
				break;
			}
			MLC_FUZZ_CHECK(r == (long)count && count % kRec == 0, "write gave %ld of %zu",
				       r, count);
			MLC_FUZZ_CHECK(!faulty.faulted() || fp.prefix >= kRec,
				       "a faulting copy was accepted");
			if (count && all_recs) {
				MLC_FUZZ_CHECK(dev.rec_window == windows.back(),
					       "window %u, not the last record's %u", dev.rec_window,
					       windows.back());
				MLC_FUZZ_CHECK(dev.rec_accepted == before->rec_accepted + n,
					       "accepted");
			}
			MLC_FUZZ_CHECK(count == 0 || all_recs || policy,
				       "a write of other record types was accepted");
			break;
		}
		case 1: {	// read(2)
			size_t count = fdp.ConsumeIntegralInRange<size_t>(0, 8 * kRec + 8);
			long off = fdp.ConsumeIntegralInRange<long>(-kRec, 8 * kRec);
			FaultPoint fp = consume_fault(fdp);
			trace("op %d: read %zu at %ld, fault %u/%zu", op, count, off, fp.at,
			      fp.prefix);
			mlc_host host = *rig.host();
			mlc::RegionMemory &region = *static_cast<mlc::RegionMemory *>(host.user);
			FaultyMemory faulty(region, fp.at, fp.prefix);
			host.user = &faulty;
			long r = ml_loop_dev_read(&dev, &host, rig.h.addr(0) + off, count);
			if (r < 0) {
				MLC_FUZZ_CHECK(r == (count < kRec ? -EINVAL : -EFAULT), "read gave %ld", r);
				MLC_FUZZ_CHECK(std::memcmp(before, &dev, sizeof(dev)) == 0,
					       "refused read changed state");
				break;
			}
			MLC_FUZZ_CHECK((size_t)r <= count && r % kRec == 0, "read %ld of %zu", r,
				       count);
			MLC_FUZZ_CHECK(dev.q_count == before->q_count - r / kRec, "queue %u -> %u",
				       before->q_count, dev.q_count);
			if (!faulty.faulted() && off >= 0 && off + count <= 8 * kRec)
				MLC_FUZZ_CHECK((size_t)r == std::min<size_t>(count / kRec,
									before->q_count) * kRec,
					       "short read %ld", r);
			for (long i = 0; i < r / (long)kRec; i++) {
				ml_loop_header hdr;
				std::memcpy(&hdr, rig.h.bytes() + off + i * kRec, sizeof(hdr));
				MLC_FUZZ_CHECK(hdr.magic == ML_LOOP_RECORD_MAGIC && hdr.size == kRec &&
						       (hdr.type == ML_LOOP_REC_DATASET ||
							hdr.type == ML_LOOP_REC_FEEDBACK),
					       "record %ld read is malformed", i);
			}
			break;
		}
		case 2: {	// ioctl
			unsigned cmd = fdp.ConsumeBool() ? ML_LOOP_IOCPENDING
							 : fdp.ConsumeIntegral<uint32_t>();
			long off = fdp.ConsumeIntegralInRange<long>(-8, 8 * kRec);
			FaultPoint fp = consume_fault(fdp);
			trace("op %d: ioctl %#x at %ld, fault %u/%zu", op, cmd, off, fp.at,
			      fp.prefix);
			mlc_host host = *rig.host();
			mlc::RegionMemory &region = *static_cast<mlc::RegionMemory *>(host.user);
			FaultyMemory faulty(region, fp.at, fp.prefix);
			host.user = &faulty;
			mlc_ioctl_copy copy{};
			bool known = ml_loop_dev_ioctl_copy(cmd, &copy) == 0;
			long r = ml_loop_dev_ioctl(&dev, &host, cmd, rig.h.addr(0) + off);
			MLC_FUZZ_CHECK(known || (r == -ENOTTY && faulty.accesses() == 0),
				       "unknown %#x gave %ld", cmd, r);
			MLC_FUZZ_CHECK(std::memcmp(before, &dev, sizeof(dev)) == 0,
				       "ioctl changed state");
			if (r == 0) {
				MLC_FUZZ_CHECK(copy.out == 4 && rig.h.written_end() == (size_t)off + 4,
					       "IOCPENDING wrote to %zu", rig.h.written_end());
				MLC_FUZZ_CHECK(std::memcmp(rig.h.bytes() + off, &dev.q_count, 4) == 0,
					       "IOCPENDING copied another value");
			}
			break;
		}
		case 3: {	// control
			static const char *const words[] = {
				"start", "stop", "reset", "prepare_dataset", "discard_dataset",
				"step 1", "step 2\n", "step 8", "step 3",
			};
			unsigned w = fdp.ConsumeIntegralInRange<unsigned>(0, std::size(words));
			std::string text = w < std::size(words) ? words[w]
								: fdp.ConsumeRandomLengthString(24);
			// A random `step` of many epochs is slow: keep N small, and
			// at most kEpochBudget epochs per input (the simulation is
			// most of an execution's cost).
			if (text.rfind("step", 0) == 0 && text.size() > 6)
				text.resize(6);
			if (text.rfind("ste", 0) == 0 && dev.epochs >= kEpochBudget) {
				trace("op %d: control '%s' skipped (epoch budget)", op, text.c_str());
				break;
			}
			trace("op %d: control '%s'", op, text.c_str());
			if (!text.empty())
				rig.h.poke(0, text);
			char page[MLC_SYSFS_PAGE_SIZE + 1];
			const uint64_t epochs = dev.epochs;
			long r = mlc_vfs_sysfs_write(rig.host(), rig.h.addr(0), text.size(), page,
						     ml_loop_dev_control_store, &dev);
			MLC_FUZZ_CHECK(r == (long)text.size() || r < 0, "control gave %ld", r);
			if (r < 0)
				MLC_FUZZ_CHECK(std::memcmp(before, &dev, sizeof(dev)) == 0 &&
						       rig.h.log.lines.size() == lines,
					       "refused control (%ld) changed state", r);
			MLC_FUZZ_CHECK(dev.epochs >= epochs || text.rfind("r", 0) == 0,
				       "epochs went back without reset");
			break;
		}
		default:
			trace("op %d: render", op);
			renders(dev);
			break;
		}
		check_state(dev);
	}
	renders(dev);
	return 0;
}
