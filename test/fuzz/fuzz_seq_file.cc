// SPDX-License-Identifier: GPL-2.0
//
// The seq_file, procfs and VFS models (src/core/seq_file_model.c,
// procfs_model.c, vfs_model.c): random sequences of open, read, pread,
// lseek and close on /proc/mlcore_result and /proc/mlcore_train over a
// live mlcore device (the unit tests' CoreHarness) that the input changes
// between reads, plus the VFS answers around them (open checks, read and
// write checks, default_llseek, the VFS's own ioctls) with random flags.
//
// Input: operations until the input ends, each an op number and then
//   0 open     which file, open flags (32 bits), root?
//   1 read     size 0..5000, dst offset, fault      (at the file position)
//   2 pread    size, pos (any 64-bit), dst offset, fault
//   3 lseek    offset (any 64-bit or -300..300), whence 0..5
//   4 change   an mlcore ioctl: SET_RESULT / ADD_TRAINING / CLEAR with bytes
//   5 vfs      default_llseek, rw_check, getfl, open_existing_check, access,
//              ioctl on random numbers
//
// Invariants: positions never go negative; a read returns at most what
// was asked, writes exactly the bytes it returns and nothing past them;
// the bytes read at a position are the text of one rendering the file had
// since it was opened, at that position; while the device did not change
// since the open, a read without fault returns exactly min(size, len - pos)
// bytes of a fresh rendering; lseek returns the new position or EINVAL and
// then leaves it; a refused VFS check changes nothing.
#include <memory>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "mlcore_test_support.hpp"

extern "C" {
#include "core/procfs_model.h"
#include "core/vfs_model.h"
}

using namespace mlc;
using namespace mlc::test;
using namespace mlc::fuzz;

namespace {

constexpr size_t kRegion = 5000;

size_t show_result(void *priv, char *buf, size_t size)
{
	return mlcore_render_result(static_cast<const mlcore_dev *>(priv), buf, size);
}
size_t show_train(void *priv, char *buf, size_t size)
{
	return mlcore_render_train(static_cast<const mlcore_dev *>(priv), buf, size);
}

struct OpenFile {
	std::unique_ptr<mlc_seq_file> m;
	bool train = false;
	unsigned f_mode = 0;
	// Every text the file had since it was opened (the first one: at open).
	std::vector<std::string> texts;
};

std::string render(const mlcore_dev &d, bool train)
{
	return checked_render([&](char *b, size_t n) {
		return train ? mlcore_render_train(&d, b, n)
			     : mlcore_render_result(&d, b, n);
	}, MLCORE_RENDER_MAX, train ? "mlcore_train" : "mlcore_result");
}

void vfs_ops(FuzzedDataProvider &fdp)
{
	int64_t f_pos = fdp.ConsumeIntegralInRange<int64_t>(0, 1 << 20);
	int64_t i_size = fdp.ConsumeIntegralInRange<int64_t>(0, 1 << 20);
	int64_t offset = fdp.ConsumeIntegral<int64_t>();
	int whence = fdp.ConsumeIntegralInRange<int>(-1, 6);
	const int64_t pos_before = f_pos;
	int64_t r = mlc_vfs_default_llseek(&f_pos, i_size, offset, whence);
	MLC_FUZZ_CHECK(f_pos >= 0, "default_llseek left %lld", (long long)f_pos);
	MLC_FUZZ_CHECK(r < 0 ? f_pos == pos_before : r == f_pos,
		       "default_llseek returned %lld at %lld", (long long)r,
		       (long long)f_pos);

	int flags = fdp.ConsumeIntegral<int>();
	unsigned fmode = mlc_fmode_from_flags(flags);
	MLC_FUZZ_CHECK((fmode & ~(MLC_FMODE_READ | MLC_FMODE_WRITE)) == 0, "fmode %#x",
		       fmode);
	bool root = fdp.ConsumeBool();
	int64_t pos = fdp.ConsumeIntegral<int64_t>();
	size_t count = fdp.ConsumeIntegral<size_t>();
	// (One consumption per statement: argument order is unspecified.)
	const unsigned need = fdp.ConsumeBool() ? MLC_FMODE_READ : MLC_FMODE_WRITE;
	const bool positional = fdp.ConsumeBool();
	long c = mlc_vfs_rw_check(fmode, need, positional, pos, count);
	MLC_FUZZ_CHECK(c == 0 || c == -EBADF || c == -EINVAL, "rw_check %ld", c);
	MLC_FUZZ_CHECK(mlc_vfs_rw_count(count) <= count &&
			       mlc_vfs_rw_count(count) <= (size_t)INT_MAX,
		       "rw_count");
	MLC_FUZZ_CHECK(c != 0 || pos >= 0, "rw_check passed pos %lld", (long long)pos);
	int o = mlc_vfs_proc_open_check(flags, root);
	MLC_FUZZ_CHECK(o == 0 || o == -EACCES, "proc_open_check %d", o);
	(void)mlc_vfs_proc_write(fmode);
	(void)mlc_proc_read_check(fmode);
	unsigned mode = fdp.ConsumeIntegral<uint16_t>();
	int e = mlc_vfs_open_existing_check(flags, mode);
	MLC_FUZZ_CHECK(e <= 0, "open_existing_check %d", e);
	int s = mlc_vfs_sysfs_open_check(flags, mode & 0777, root);
	MLC_FUZZ_CHECK(s == 0 || s == -EACCES, "sysfs_open_check %d", s);
	const int want = fdp.ConsumeIntegralInRange<int>(0, 7);
	const bool in_root_group = fdp.ConsumeBool();
	int a = mlc_vfs_access(mode, want, root, in_root_group);
	MLC_FUZZ_CHECK(a == 0 || a == -EACCES, "access %d", a);
	(void)mlc_vfs_getfl(flags, fdp.ConsumeIntegral<int>());
	const bool shared = fdp.ConsumeBool();
	const bool prot_write = fdp.ConsumeBool();
	const size_t len = fdp.ConsumeIntegral<size_t>();
	long mm = mlc_vfs_mmap_check(fmode, shared, prot_write, len);
	MLC_FUZZ_CHECK(mm == 0 || mm == -EINVAL || mm == -EACCES, "mmap_check %ld", mm);

	// The VFS's own ioctls on a 4-byte argument (or off it).
	unsigned cmd = fdp.ConsumeIntegralInRange<unsigned>(0x541B, 0x5460);
	if (fdp.ConsumeBool())
		cmd = fdp.ConsumeIntegral<uint32_t>();
	bool regular = fdp.ConsumeBool();
	if (!mlc_vfs_ioctl_is_vfs(cmd, regular))
		return;
	std::vector<std::byte> mem(8, std::byte{0xAA});
	int32_t arg = fdp.ConsumeIntegral<int32_t>();
	std::memcpy(mem.data(), &arg, 4);
	RegionMemory region(GuardedRegion::kBase, mem);
	mlc_host host;
	host.user = &region;
	unsigned vflags = fdp.ConsumeIntegralInRange<unsigned>(0, 7);
	const unsigned vflags_before = vflags;
	long ir = mlc_vfs_ioctl(&host, cmd, GuardedRegion::kBase + fdp.ConsumeIntegralInRange<int>(-4, 8),
				regular, f_pos, &vflags);
	MLC_FUZZ_CHECK(vflags <= 7, "vfs ioctl flags %#x", vflags);
	MLC_FUZZ_CHECK(ir == 0 || vflags == vflags_before, "failed vfs ioctl changed flags");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzedDataProvider fdp(data, size);
	CoreHarness core;
	OpenFile f;
	std::vector<std::byte> mem(kRegion);

	for (int op = 0; op < 64 && fdp.remaining_bytes(); op++) {
		const unsigned what = fdp.ConsumeIntegralInRange<unsigned>(0, 5);
		if (what != 0 && what != 4 && what != 5 && !f.m)
			continue;	// reads and seeks need an open file
		switch (what) {
		case 0: {
			bool train = fdp.ConsumeBool();
			int flags = fdp.ConsumeIntegral<int>();
			bool root = fdp.ConsumeBool();
			trace("op %d: open %s flags %#x%s", op, train ? "train" : "result",
			      flags, root ? " root" : "");
			if (mlc_vfs_proc_open_check(flags, root) != 0) {
				MLC_FUZZ_CHECK((flags & 3) != 0 && !root, "open refused");
				break;
			}
			f.m = std::make_unique<mlc_seq_file>();
			f.train = train;
			f.f_mode = mlc_fmode_from_flags(flags);
			f.texts = {render(core.dev, train)};
			mlc_seq_open(f.m.get(), train ? show_train : show_result, &core.dev);
			MLC_FUZZ_CHECK(f.m->f_pos == 0, "open at %lld", (long long)f.m->f_pos);
			break;
		}
		case 1:
		case 2: {
			const bool positional = what == 2;
			size_t n = fdp.ConsumeIntegralInRange<size_t>(0, kRegion);
			int64_t ppos = 0;
			if (positional)
				ppos = fdp.ConsumeBool() ? fdp.ConsumeIntegral<int64_t>()
							 : fdp.ConsumeIntegralInRange<int64_t>(-2, 700);
			long off = fdp.ConsumeIntegralInRange<long>(-8, kRegion);
			FaultPoint fp = consume_fault(fdp);
			trace("op %d: %s %zu at %lld offset %ld fault %u/%zu", op,
			      positional ? "pread" : "read", n,
			      (long long)(positional ? ppos : f.m->f_pos), off, fp.at, fp.prefix);
			int64_t *pos = positional ? &ppos : &f.m->f_pos;
			long r = mlc_proc_read_check(f.f_mode);
			if (r == 0)
				r = mlc_vfs_rw_check(f.f_mode, MLC_FMODE_READ, positional, *pos, n);
			if (r != 0) {
				MLC_FUZZ_CHECK(r == -EBADF || r == -EINVAL, "read check %ld", r);
				break;
			}
			std::fill(mem.begin(), mem.end(), std::byte{0xAA});
			RegionMemory region(GuardedRegion::kBase, mem);
			FaultyMemory faulty(region, fp.at, fp.prefix);
			mlc_host host = core.host(&faulty);
			const int64_t start = *pos;
			r = mlc_seq_read(f.m.get(), &host, GuardedRegion::kBase + off, n, pos);
			MLC_FUZZ_CHECK(*pos >= 0 && f.m->f_pos >= 0, "position %lld",
				       (long long)*pos);
			if (r < 0) {
				MLC_FUZZ_CHECK(r == -EFAULT, "read gave %ld", r);
				MLC_FUZZ_CHECK(*pos == start, "failed read moved the position");
				break;
			}
			MLC_FUZZ_CHECK((size_t)r <= n, "read %ld of %zu", r, n);
			MLC_FUZZ_CHECK(*pos == start + r, "position moved by %lld, not %ld",
				       (long long)(*pos - start), r);
			MLC_FUZZ_CHECK(region.written_end() == (r ? (size_t)off + r : 0) ||
					       (r == 0 && off < 0),
				       "read wrote to %zu, returned %ld", region.written_end(), r);
			if (r == 0)
				break;
			std::string got(reinterpret_cast<const char *>(mem.data()) + off, r);
			bool some = false;
			for (const auto &t : f.texts)
				some |= start < (int64_t)t.size() &&
					t.compare(start, r, got) == 0;
			MLC_FUZZ_CHECK(some, "read %ld at %lld: not the text of any rendering",
				       r, (long long)start);
			if (f.texts.size() == 1 && !faulty.faulted() && off + n <= kRegion) {
				const std::string &t = f.texts[0];
				size_t want = start < (int64_t)t.size()
						      ? std::min(n, t.size() - start) : 0;
				MLC_FUZZ_CHECK((size_t)r == want, "read %ld, wanted %zu", r, want);
			}
			break;
		}
		case 3: {
			int64_t offset = fdp.ConsumeBool() ? fdp.ConsumeIntegral<int64_t>()
							   : fdp.ConsumeIntegralInRange<int64_t>(-300, 300);
			int whence = fdp.ConsumeIntegralInRange<int>(0, 5);
			trace("op %d: lseek %lld %d", op, (long long)offset, whence);
			const int64_t before = f.m->f_pos;
			int64_t r = mlc_seq_lseek(f.m.get(), offset, whence);
			MLC_FUZZ_CHECK(f.m->f_pos >= 0, "lseek left %lld", (long long)f.m->f_pos);
			if (r < 0)
				MLC_FUZZ_CHECK(r == -EINVAL && f.m->f_pos == before,
					       "failed lseek (%lld) moved", (long long)r);
			else
				MLC_FUZZ_CHECK(r == f.m->f_pos && whence <= MLC_SEEK_CUR,
					       "lseek returned %lld at %lld", (long long)r,
					       (long long)f.m->f_pos);
			break;
		}
		case 4: {
			static const unsigned cmds[] = {IOCTL_SET_RESULT, IOCTL_ADD_TRAINING,
							IOCTL_CLEAR_TRAINING};
			unsigned cmd = cmds[fdp.ConsumeIntegralInRange<unsigned>(0, 2)];
			std::vector<uint8_t> arg = fdp.ConsumeBytes<uint8_t>(16);
			arg.resize(16);
			std::vector<std::byte> am(reinterpret_cast<std::byte *>(arg.data()),
						  reinterpret_cast<std::byte *>(arg.data()) + 16);
			RegionMemory region(GuardedRegion::kBase, am);
			trace("op %d: ioctl %#x", op, cmd);
			MLC_FUZZ_CHECK(core.ioctl(cmd, GuardedRegion::kBase, region) == 0, "ioctl");
			core.clock.advance(fdp.ConsumeIntegralInRange<int64_t>(0, 100000));
			if (f.m) {
				std::string t = render(core.dev, f.train);
				if (t != f.texts.back())
					f.texts.push_back(t);
			}
			break;
		}
		default:
			trace("op %d: vfs", op);
			vfs_ops(fdp);
			break;
		}
	}
	return 0;
}
