// SPDX-License-Identifier: GPL-2.0
//
// The instance attach path (src/emulator/instance.cc): a segment image
// made from a valid one with fields overwritten by the input, written into
// this user's shared-memory object of an instance, and attached with
// Instance::open_existing(), exactly as every door attaches.  The attach
// must refuse it with an InstanceError, or attach it and then survive a
// few operations of every device (renderings, reads, an ioctl, `step 1`,
// the kernel log) and a reset.
//
// Input: the object's size first (the valid size, cut to any size, or
// grown), then patches until the input ends, each a field of the
// segment (a table of the header's and every device's counts and indices:
// magic, layout, hist_count, q_head, data_size, the kernel log ring's
// header, descriptors and undo journal, the lock, ...) or any offset, and the bytes put
// there.  A zero magic is replaced by the valid one: it means "being
// initialised" and makes the attach wait two seconds by design.
//
// The valid image comes from Instance::open_or_create() of a seeded
// instance with a frozen clock, in a private MLCORE_EMU_STATE_DIR; the
// harness removes its objects (/dev/shm/mlcore-emu.<uid>.fuzz-*-<pid>)
// when it exits normally.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "emulator/instance.hpp"
#include "fuzz_support.hpp"
#include "platform/user/region_memory.hpp"

using namespace mlc;
using namespace mlc::fuzz;

namespace {

struct Field {
	size_t off;
	size_t len;
};

#define SEG_FIELD(member) \
	Field{offsetof(InstanceSegment, member), sizeof(InstanceSegment::member)}
#define DEV_FIELD(member)                                                      \
	Field{offsetof(InstanceSegment, devices) + offsetof(DeviceState, member), \
	      sizeof(DeviceState::member)}

#define KLOG_DESC(i, member)                                                     \
	Field{sizeof(InstanceSegment) + (i) * sizeof(KernelLogDesc) +            \
		      offsetof(KernelLogDesc, member),                           \
	      sizeof(KernelLogDesc::member)}

const Field kFields[] = {
	SEG_FIELD(header.magic),
	SEG_FIELD(header.layout_version),
	SEG_FIELD(header.segment_size),
	SEG_FIELD(header.clock_fixed),
	SEG_FIELD(header.clock_epoch_sec),
	SEG_FIELD(header.seeded),
	SEG_FIELD(header.rng_state),
	Field{offsetof(InstanceSegment, devices) + offsetof(DeviceState, lock), 16},
	DEV_FIELD(mlcore.latest_result),
	DEV_FIELD(mlcore.hist_index),
	DEV_FIELD(mlcore.hist_count),
	DEV_FIELD(mlcore.train_count),
	DEV_FIELD(mlcore.history[0].stamp.tv_sec),
	DEV_FIELD(mllib.data_size),
	DEV_FIELD(mllib.recommendations_size),
	DEV_FIELD(mllib.model1.mode),
	DEV_FIELD(mllib.model1.state),
	DEV_FIELD(mllib.model1.name),
	DEV_FIELD(mllib.model1.dataset.state),
	DEV_FIELD(mlloop.model.mode),
	DEV_FIELD(mlloop.model.state),
	DEV_FIELD(mlloop.rec_window),
	DEV_FIELD(mlloop.quality_milli),
	DEV_FIELD(mlloop.q_head),
	DEV_FIELD(mlloop.q_count),
	DEV_FIELD(mlloop.sim.wl.phase),
	DEV_FIELD(mlloop.sim.wl.nstreams),
	DEV_FIELD(mlloop.sim.wl.cur),
	DEV_FIELD(mlloop.sim.act.next),
	DEV_FIELD(mlloop.sim.def.window),
	DEV_FIELD(klog.shift),
	DEV_FIELD(klog.desc_shift),
	DEV_FIELD(klog.next_seq),
	DEV_FIELD(klog.first_seq),
	DEV_FIELD(klog.head),
	DEV_FIELD(journal.active),
	DEV_FIELD(journal.klog.cursor),
	DEV_FIELD(journal.klog.descs_saved),
	DEV_FIELD(journal.klog.bytes_saved),
	DEV_FIELD(journal.klog.overflow),
	DEV_FIELD(journal.klog.descs[0].len),
	// The ring's first descriptors, after the InstanceSegment.
	KLOG_DESC(0, seq),
	KLOG_DESC(0, begin),
	KLOG_DESC(0, next_off),
	KLOG_DESC(0, len),
	KLOG_DESC(0, level),
	KLOG_DESC(1, seq),
	KLOG_DESC(1, begin),
	KLOG_DESC(1, len),
	KLOG_DESC(3, next_off),
};

std::vector<std::byte> g_valid;
std::string g_name;

std::string g_state_dir;

void cleanup()
{
	shm_unlink(("/" + Instance::segment_name(g_name)).c_str());
}

void cleanup_at_exit()
{
	cleanup();
	std::error_code ec;
	std::filesystem::remove_all(g_state_dir, ec);
}

// The object of instance g_name with these bytes, size bytes long.
void write_object(const std::vector<std::byte> &image, size_t size)
{
	const std::string path = "/" + Instance::segment_name(g_name);
	shm_unlink(path.c_str());
	int fd = shm_open(path.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
	MLC_FUZZ_CHECK(fd >= 0, "shm_open %s", path.c_str());
	MLC_FUZZ_CHECK(ftruncate(fd, static_cast<off_t>(size)) == 0, "ftruncate");
	size_t n = std::min(size, image.size());
	MLC_FUZZ_CHECK(pwrite(fd, image.data(), n, 0) == static_cast<ssize_t>(n),
		       "pwrite");
	close(fd);
}

// A few operations of every device of an attached instance.
void exercise(Instance &inst)
{
	Device &d = inst.device();
	(void)d.render_mlcore_result();
	(void)d.render_mlcore_train();
	int32_t v = 0;
	(void)d.mlcore_ioctl(IOCTL_GET_RESULT, &v);

	std::vector<std::byte> mem(2048);
	RegionMemory region(0x10000, mem);
	int64_t pos = 0;
	(void)d.mllib_read(0x10000, 1024, &pos, region);
	char buf[4096];
	(void)d.render_mllib(ml_lib_test_dev_render_proc, buf, sizeof(buf));
	(void)d.render_mllib(ml_lib_test_dev_show_stats, buf, sizeof(buf));

	(void)d.mlloop_read(0x10000, 512, region);
	static const char step[] = "step 1";
	std::memcpy(mem.data(), step, sizeof(step) - 1);
	(void)d.mlloop_control_write(0x10000, sizeof(step) - 1, region);
	(void)d.mlloop_read(0x10000, 512, region);
	(void)d.render_mlloop(ml_loop_dev_show_stats, buf, sizeof(buf));
	(void)d.render_mlloop(ml_loop_dev_show_mode, buf, sizeof(buf));
	(void)d.kernel_log(0);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
	std::string dir = (std::filesystem::temp_directory_path() /
			   "mlcore-fuzz-instance-XXXXXX").string();
	MLC_FUZZ_CHECK(mkdtemp(dir.data()), "mkdtemp");
	setenv("MLCORE_EMU_STATE_DIR", dir.c_str(), 1);
	g_state_dir = dir;
	g_name = "fuzz-attach-" + std::to_string(getpid());

	const std::string ref = "fuzz-ref-" + std::to_string(getpid());
	Instance::remove(ref);
	{
		InstanceOptions opts;
		opts.clock = ClockSpec{true, 1773500966};
		opts.seed = 20260101;
		auto inst = Instance::open_or_create(ref, opts);
		// Some history, training, data, records and log lines to damage.
		Device &d = inst->device();
		for (int32_t i = 0; i < 12; i++) {
			(void)d.mlcore_ioctl(IOCTL_SET_RESULT, &i);
			train_entry e{{i, 2 * i, 3 * i}, i & 1};
			(void)d.mlcore_ioctl(IOCTL_ADD_TRAINING, &e);
		}
		std::vector<std::byte> mem(64);
		RegionMemory region(0x10000, mem);
		for (const char *cmd : {"prepare_dataset", "start", "step 3"}) {
			std::memcpy(mem.data(), cmd, std::strlen(cmd));
			(void)d.mllib_control_write(0x10000, std::strlen(cmd), region);
			(void)d.mlloop_control_write(0x10000, std::strlen(cmd), region);
		}
		const auto *seg = static_cast<const std::byte *>(
			static_cast<const void *>(&inst->header()));
		g_valid.assign(seg, seg + inst->header().segment_size);
	}
	Instance::remove(ref);
	std::atexit(cleanup_at_exit);
	trace("valid segment: %zu bytes", g_valid.size());
	return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzedDataProvider fdp(data, size);
	std::vector<std::byte> image = g_valid;
	size_t object_size = image.size();
	switch (fdp.ConsumeIntegralInRange<unsigned>(0, 2)) {
	case 1:
		object_size = fdp.ConsumeIntegralInRange<size_t>(0, image.size());
		break;
	case 2:
		object_size += fdp.ConsumeIntegralInRange<size_t>(1, 65536);
		break;
	default:
		break;
	}
	for (int p = 0; p < 16 && fdp.remaining_bytes(); p++) {
		size_t pick = fdp.ConsumeIntegralInRange<size_t>(0, std::size(kFields));
		Field f = pick < std::size(kFields)
				  ? kFields[pick]
				  : Field{fdp.ConsumeIntegralInRange<size_t>(0, image.size() - 1),
					  fdp.ConsumeIntegralInRange<size_t>(1, 16)};
		std::vector<uint8_t> bytes = fdp.ConsumeBytes<uint8_t>(f.len);
		size_t n = std::min({bytes.size(), f.len, image.size() - f.off});
		trace("patch %d: %zu bytes at %zu", p, n, f.off);
		std::copy_n(reinterpret_cast<const std::byte *>(bytes.data()), n,
			    image.begin() + f.off);
	}
	auto *h = reinterpret_cast<InstanceHeader *>(image.data());
	if (h->magic == 0)
		h->magic = kSegmentMagic;
	// A lock word naming a live thread is an instance in use: attaching
	// it and locking waits for that owner, by design (and says so when it
	// is stopped).  Only owners that do not exist are damage.
	if (auto *seg = reinterpret_cast<InstanceSegment *>(image.data());
	    image.size() >= sizeof(InstanceSegment)) {
		pid_t tid = seg->devices.lock.m.__data.__lock & 0x3fffffff;
		if (tid != 0 && kill(tid, 0) == 0)
			seg->devices.lock.m.__data.__lock = 0;
	}
	trace("object of %zu bytes (valid: %zu)", object_size, image.size());
	write_object(image, object_size);

	try {
		std::unique_ptr<Instance> inst;
		try {
			inst = Instance::open_existing(g_name);
		} catch (...) {
			cleanup();
			throw;
		}
		// The mapping outlives the name: a crash below leaves nothing in
		// /dev/shm.
		cleanup();
		trace("attached");
		exercise(*inst);
		inst->reset();
		exercise(*inst);
	} catch (const InstanceError &e) {
		trace("refused: %s", e.what());
	}
	return 0;
}
