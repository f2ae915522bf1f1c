// SPDX-License-Identifier: GPL-2.0
//
// The ml_lib test device (src/core/ml_lib_test_dev.c, ml_lib_model.c):
// open, release, read, write, lseek, ioctl and ml_model1's `control`
// through the sysfs write model, in any order, on the ml_lib unit tests'
// TestHost (a 2 KiB caller region between unmapped memory).
//
// Input: operations until the input ends, each an op number and then
//   0 open / 1 release
//   2 read   count 0..1100, positional?, pos -2..1100, dst offset, fault
//   3 write  count 0..1100, positional?, pos, src offset, bytes, fault
//   4 lseek  offset -2000..2000, whence 0..5
//   5 ioctl  one of the three or any 32-bit number, arg offset, 4 bytes, fault
//   6 control  a string (the dictionary's words), src offset, fault
//   7 renderings
// Offsets are relative to the region (2048 bytes) and may leave it.
//
// Invariants: sizes in 0..1024; a read or write returns at most what was
// asked and what is left, moves the position by what it returns and the
// position never goes negative; a refused op changes nothing (but the
// documented tail a faulting write leaves in the recommendations buffer);
// IOCGETSIZE writes exactly the 4 bytes of data_size; renderings fit.
#include <array>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "test_host.hpp"

using namespace mlc::fuzz;
using mlc_test::TestHost;

namespace {

constexpr size_t kRegion = 2048;
constexpr std::array<unsigned, 3> kCmds = {ML_LIB_TEST_IOCRESET,
					   ML_LIB_TEST_IOCGETSIZE,
					   ML_LIB_TEST_IOCSETSIZE};

struct Rig {
	Rig() : h(kRegion), dev(std::make_unique<ml_lib_test_dev>())
	{
		std::memset(dev.get(), 0x5c, sizeof(*dev));
		MLC_FUZZ_CHECK(ml_lib_test_dev_load(dev.get(), h.get()) == 0, "load");
	}
	TestHost h;
	std::unique_ptr<ml_lib_test_dev> dev;
	int64_t f_pos = 0;
	unsigned opens = 0;
};

void check_state(const ml_lib_test_dev &d)
{
	MLC_FUZZ_CHECK(d.data_size >= 0 && d.data_size <= ML_LIB_TEST_BUFFER_SIZE,
		       "data_size %d", d.data_size);
	MLC_FUZZ_CHECK(d.recommendations_size >= 0 &&
			       d.recommendations_size <= ML_LIB_TEST_BUFFER_SIZE,
		       "recommendations_size %d", d.recommendations_size);
	MLC_FUZZ_CHECK(d.model1.mode < ML_LIB_MODE_MAX, "mode %u", d.model1.mode);
	MLC_FUZZ_CHECK(d.model1.state < ML_LIB_MODEL_STATE_MAX, "state %u",
		       d.model1.state);
	MLC_FUZZ_CHECK(d.model1.dataset.state < ML_LIB_DATASET_STATE_MAX,
		       "dataset state %u", d.model1.dataset.state);
	MLC_FUZZ_CHECK(std::memchr(d.model1.name, '\0', sizeof(d.model1.name)),
		       "model name not terminated");
}

bool same(const ml_lib_test_dev &a, const ml_lib_test_dev &b)
{
	return std::memcmp(&a, &b, sizeof(a)) == 0;
}

void renders(const ml_lib_test_dev &d)
{
	auto r = [&](auto fn, const char *what) {
		(void)checked_render([&](char *b, size_t n) { return fn(&d, b, n); },
				     ML_LIB_TEST_DEV_RENDER_MAX, what);
	};
	r(ml_lib_test_dev_render_proc, "proc");
	r(ml_lib_test_dev_show_buffer_size, "buffer_size");
	r(ml_lib_test_dev_show_data_size, "data_size");
	r(ml_lib_test_dev_show_access_count, "access_count");
	r(ml_lib_test_dev_show_stats, "stats");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzedDataProvider fdp(data, size);
	Rig rig;
	ml_lib_test_dev &dev = *rig.dev;

	for (int op = 0; op < 64 && fdp.remaining_bytes(); op++) {
		const unsigned what = fdp.ConsumeIntegralInRange<unsigned>(0, 7);
		rig.h.set_user_size(kRegion);
		const auto before = std::make_unique<ml_lib_test_dev>(dev);
		const size_t log_before = rig.h.log.lines.size();

		switch (what) {
		case 0:
			trace("op %d: open", op);
			MLC_FUZZ_CHECK(ml_lib_test_dev_open(&dev, rig.h.get()) == 0, "open");
			MLC_FUZZ_CHECK(dev.access_count == before->access_count + 1, "opens");
			rig.opens++;
			break;
		case 1:
			trace("op %d: release", op);
			if (rig.opens) {
				rig.opens--;
				MLC_FUZZ_CHECK(ml_lib_test_dev_release(&dev, rig.h.get()) == 0,
					       "release");
			}
			break;
		case 2:
		case 3: {
			const bool write = what == 3;
			size_t count = fdp.ConsumeIntegralInRange<size_t>(0, 1100);
			bool positional = fdp.ConsumeBool();
			int64_t ppos = fdp.ConsumeIntegralInRange<int64_t>(-2, 1100);
			long off = fdp.ConsumeIntegralInRange<long>(-16, kRegion);
			std::vector<uint8_t> bytes;
			if (write) {
				bytes = fdp.ConsumeBytes<uint8_t>(
					fdp.ConsumeIntegralInRange<size_t>(0, 64));
				if (off >= 0 && !bytes.empty())
					rig.h.poke(off, bytes.data(),
						   std::min(bytes.size(), kRegion - off));
			}
			FaultPoint fp = consume_fault(fdp);
			trace("op %d: %s count %zu %s %lld offset %ld fault %u/%zu", op,
			      write ? "write" : "read", count,
			      positional ? "pos" : "fpos", (long long)ppos, off, fp.at,
			      fp.prefix);
			int64_t *pos = positional ? &ppos : &rig.f_pos;
			const int64_t pos_before = *pos;
			const unsigned fmode = MLC_FMODE_READ | MLC_FMODE_WRITE;
			long r = mlc_vfs_rw_check(fmode,
						  write ? MLC_FMODE_WRITE : MLC_FMODE_READ,
						  positional, *pos, count);
			if (r == 0) {
				mlc_host host = *rig.h.get();
				mlc::RegionMemory &region = *static_cast<mlc::RegionMemory *>(host.user);
				FaultyMemory faulty(region, fp.at, fp.prefix);
				host.user = &faulty;
				size_t n = mlc_vfs_rw_count(count);
				r = write ? ml_lib_test_dev_write(&dev, &host, rig.h.addr(0) + off,
								   n, pos)
					  : ml_lib_test_dev_read(&dev, &host, rig.h.addr(0) + off,
								  n, pos);
				if (!write && r >= 0)
					MLC_FUZZ_CHECK(rig.h.written_end() ==
							       (r ? off + (size_t)r : 0),
						       "read wrote past its count");
			}
			// pread's position is the caller's: only the file's must stay >= 0.
			MLC_FUZZ_CHECK(rig.f_pos >= 0, "position %lld", (long long)rig.f_pos);
			MLC_FUZZ_CHECK(pos_before >= 0 || r == -EINVAL, "negative pos gave %ld", r);
			if (r < 0) {
				MLC_FUZZ_CHECK(*pos == pos_before, "refused op moved the position");
				ml_lib_test_dev expect = *before;
				// A faulting write leaves its zero-filled tail (the
				// driver copies straight into the buffer).
				if (write && r == -EFAULT && pos_before >= 0 &&
				    pos_before < ML_LIB_TEST_BUFFER_SIZE) {
					size_t n = std::min<size_t>(count, ML_LIB_TEST_BUFFER_SIZE -
									   pos_before);
					std::memcpy(expect.recommendations + pos_before,
						    dev.recommendations + pos_before, n);
				}
				MLC_FUZZ_CHECK(same(expect, dev), "refused %s (%ld) changed state",
					       write ? "write" : "read", r);
				MLC_FUZZ_CHECK(rig.h.log.lines.size() == log_before,
					       "refused op logged");
				break;
			}
			const int64_t limit = write ? ML_LIB_TEST_BUFFER_SIZE
						    : before->data_size;
			MLC_FUZZ_CHECK((size_t)r <= count, "%ld > count %zu", r, count);
			MLC_FUZZ_CHECK(r == std::max<int64_t>(
						    0, std::min<int64_t>(count, limit - pos_before)),
				       "%s returned %ld at %lld of %lld", write ? "write" : "read",
				       r, (long long)pos_before, (long long)limit);
			MLC_FUZZ_CHECK(*pos == pos_before + r, "position moved by %lld, not %ld",
				       (long long)(*pos - pos_before), r);
			if (!write && r > 0)
				MLC_FUZZ_CHECK(std::memcmp(rig.h.bytes() + off,
							   dev.dataset + pos_before, r) == 0,
					       "read other bytes");
			break;
		}
		case 4: {
			int64_t offset = fdp.ConsumeIntegralInRange<int64_t>(-2000, 2000);
			int whence = fdp.ConsumeIntegralInRange<int>(0, 5);
			trace("op %d: lseek %lld %d", op, (long long)offset, whence);
			const int64_t pos_before = rig.f_pos;
			int64_t r = ml_lib_test_dev_llseek(&rig.f_pos, offset, whence);
			MLC_FUZZ_CHECK(rig.f_pos >= 0, "position %lld", (long long)rig.f_pos);
			if (r < 0)
				MLC_FUZZ_CHECK(rig.f_pos == pos_before, "failed lseek moved");
			else
				MLC_FUZZ_CHECK(r == rig.f_pos, "lseek returned %lld, at %lld",
					       (long long)r, (long long)rig.f_pos);
			break;
		}
		case 5: {
			unsigned pick = fdp.ConsumeIntegralInRange<unsigned>(0, kCmds.size());
			unsigned cmd = pick < kCmds.size() ? kCmds[pick]
							   : fdp.ConsumeIntegral<uint32_t>();
			long off = fdp.ConsumeIntegralInRange<long>(-8, kRegion);
			uint32_t arg = fdp.ConsumeIntegral<uint32_t>();
			if (fdp.ConsumeBool())
				arg %= 1100;
			if (off >= 0)
				rig.h.poke(off, &arg, std::min<size_t>(4, kRegion - off));
			FaultPoint fp = consume_fault(fdp);
			trace("op %d: ioctl %#x offset %ld arg %u fault %u/%zu", op, cmd, off,
			      arg, fp.at, fp.prefix);
			mlc_host host = *rig.h.get();
			mlc::RegionMemory &region = *static_cast<mlc::RegionMemory *>(host.user);
			FaultyMemory faulty(region, fp.at, fp.prefix);
			host.user = &faulty;
			mlc_ioctl_copy copy{};
			const bool known = ml_lib_test_dev_ioctl_copy(cmd, &copy) == 0;
			long r = ml_lib_test_dev_ioctl(&dev, &host, cmd, rig.h.addr(0) + off);
			MLC_FUZZ_CHECK(known || (r == -ENOTTY && faulty.accesses() == 0),
				       "unknown %#x: %ld", cmd, r);
			MLC_FUZZ_CHECK(faulty.accesses() <= 1, "%u accesses", faulty.accesses());
			if (r == 0 && copy.out) {
				MLC_FUZZ_CHECK(copy.out == 4 && rig.h.written_end() == (size_t)off + 4,
					       "GETSIZE wrote %zu", rig.h.written_end());
				MLC_FUZZ_CHECK(std::memcmp(rig.h.bytes() + off, &dev.data_size, 4) == 0,
					       "GETSIZE copied another value");
			} else if (r >= 0 || r == -EINVAL || r == -ENOTTY) {
				MLC_FUZZ_CHECK(rig.h.written_end() == 0, "ioctl %#x wrote", cmd);
			}
			if (r < 0)
				MLC_FUZZ_CHECK(same(*before, dev) &&
						       rig.h.log.lines.size() == log_before,
					       "refused ioctl %#x (%ld) changed state", cmd, r);
			if (r == 0 && cmd == ML_LIB_TEST_IOCSETSIZE)
				MLC_FUZZ_CHECK(dev.recommendations_size == (int32_t)arg,
					       "SETSIZE %u gave %d", arg, dev.recommendations_size);
			break;
		}
		case 6: {
			std::string text = fdp.ConsumeRandomLengthString(64);
			long off = fdp.ConsumeIntegralInRange<long>(-8, kRegion);
			FaultPoint fp = consume_fault(fdp);
			trace("op %d: control '%s' offset %ld fault %u/%zu", op, text.c_str(),
			      off, fp.at, fp.prefix);
			if (off >= 0 && !text.empty())
				rig.h.poke(off, text.data(), std::min(text.size(), kRegion - off));
			mlc_host host = *rig.h.get();
			mlc::RegionMemory &region = *static_cast<mlc::RegionMemory *>(host.user);
			FaultyMemory faulty(region, fp.at, fp.prefix);
			host.user = &faulty;
			char page[MLC_SYSFS_PAGE_SIZE + 1];
			long r = mlc_vfs_sysfs_write(&host, rig.h.addr(0) + off, text.size(),
						     page, ml_lib_test_dev_control_store,
						     &dev);
			MLC_FUZZ_CHECK(r == (long)text.size() || r < 0, "control %ld of %zu",
				       r, text.size());
			if (r < 0)
				MLC_FUZZ_CHECK(same(*before, dev) &&
						       rig.h.log.lines.size() == log_before,
					       "refused control (%ld) changed state", r);
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
