// SPDX-License-Identifier: GPL-2.0
//
// This process's handles on served open file descriptions: one per
// description (shared by its descriptors here, found by descriptor in
// mlcpl_fds), the instance each belongs to, and the release of a
// description by its last holder.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "preload/directory_and_path_files.hpp"
#include "preload/door.hpp"
#include "preload/real.hpp"

extern "C" {
mlcpl_handle **mlcpl_fds = nullptr;
size_t mlcpl_fd_cap = 0;
int mlcpl_fd_high = -1;
__thread int mlcpl_in_door;
}

namespace mlc::preload {

namespace {

constexpr const char *kRegistryName = "open-files.v1";

std::vector<InstanceCtx *> &contexts()
{
	static auto *v = new std::vector<InstanceCtx *>;
	return *v;
}

std::filesystem::path registry_path(const std::string &name)
{
	return Instance::state_dir_of(name) / kRegistryName;
}

// Attaches an instance's shared memory, creating the instance if there is
// none (as `mlcore-emu run` would have).  Null after one warning if not.
std::unique_ptr<Instance> attach_instance(const std::string &name)
{
	InDoor in;
	try {
		InstanceOptions opts;
		if (const char *seed = getenv(kSeedEnv); seed && *seed)
			opts.seed = std::stoull(seed);
		return Instance::open_or_create(name, opts);
	} catch (const std::exception &e) {
		static std::once_flag once;
		std::call_once(once, [&] { warn(e.what()); });
		return nullptr;
	}
}

// 0 or -ENXIO.
int ensure_instance(InstanceCtx *c)
{
	if (!c->inst)
		c->inst = attach_instance(c->name);
	return c->inst ? 0 : -ENXIO;
}

} // namespace

// This process holds one descriptor less on h's description (mu() held).
void drop_ref(Handle *h)
{
	if (--h->refs > 0)
		return;
	InstanceCtx *c = h->ctx;
	c->handles[h->slot] = nullptr;
	InDoor in;
	if (c->reg->claim_if_gone(h->slot, h->gen)) {
		release_slot(c, h->slot, h);
	} else if (h->file) {
		h->file->set_releases(false); // others hold it still
		h->file.reset();
	}
	delete h;
}

// Made on first use (our constructor may run before this file's dynamic
// initialisers) and never destroyed (exit() and other threads may still
// call in).
std::mutex &mu()
{
	static std::mutex *m = new std::mutex;
	return *m;
}

// This process's pid, as of the last fork() (the atfork handler).  A
// vfork() child (or posix_spawn's CLONE_VM child) runs in its parent's
// memory until it execs: when getpid() differs, the tables here are the
// parent's and must not change (Python closes descriptors that way).
pid_t g_pid;

bool borrowed_memory()
{
	return getpid() != g_pid;
}

const FileTable &table()
{
	return FileTable::standard();
}

void warn(const std::string &msg)
{
	std::string line = "libmlcore-preload: " + msg + "\n";
	(void)!real().write(2, line.data(), line.size());
}

std::string instance_name()
{
	const char *n = getenv(kInstanceEnv);
	return n && *n ? n : "default";
}

// The context of an instance, opening its registry (mu() held).  Null with
// errno set when the registry cannot be opened.
InstanceCtx *ctx_named(const std::string &name, bool create)
{
	for (InstanceCtx *c : contexts())
		if (c->name == name)
			return c;
	if (!Instance::valid_name(name)) {
		errno = EINVAL;
		return nullptr;
	}
	auto path = registry_path(name);
	if (!create && access(path.c_str(), F_OK) != 0)
		return nullptr;
	auto reg = Registry::open(path);
	if (!reg)
		return nullptr;
	auto *c = new InstanceCtx;
	c->name = name;
	c->reg = std::move(reg);
	contexts().push_back(c);
	return c;
}

// The current instance's context, its instance attached (mu() held).
int current_ctx(InstanceCtx **out)
{
	std::string name = instance_name();
	for (InstanceCtx *c : contexts())
		if (c->name == name) {
			*out = c;
			return ensure_instance(c);
		}
	// The instance first: it makes the state directory the registry is in.
	std::unique_ptr<Instance> inst = attach_instance(name);
	if (!inst)
		return -ENXIO;
	InstanceCtx *c = ctx_named(name, true);
	if (!c) {
		warn("cannot open " + registry_path(name).string() + ": " +
		     strerror(errno));
		return -ENXIO;
	}
	if (!c->inst)
		c->inst = std::move(inst);
	*out = c;
	return 0;
}

// The OpenFile of h in this process, attaching one if needed.
// Lock-free once it exists (the hot path); made under mu(), published with
// release order, so two threads' first uses after an exec make one.
int ensure_file(Handle *h)
{
	if (__atomic_load_n(&h->ready, __ATOMIC_ACQUIRE))
		return 0;
	InDoor in;
	std::lock_guard<std::mutex> lock(mu());
	if (!h->file) {
		if (int err = ensure_instance(h->ctx))
			return err;
		const SlotRecord &r = *h->rec;
		h->file = h->node->attach(*h->ctx->inst, r.open_flags,
					  Cred{ r.uid, r.gid });
		if (!h->file)
			return -ENXIO;
		size_t n = h->file->state_size();
		h->has_state = n > 0 && n <= kStateMax;
		h->loaded_version = ~uint64_t{ 0 };
	}
	__atomic_store_n(&h->ready, true, __ATOMIC_RELEASE);
	return 0;
}

// Runs the driver's release for slot i of c, which this process claimed;
// then frees the slot.  h: this process's handle, if it has one.
void release_slot(InstanceCtx *c, uint32_t i, Handle *h)
{
	InDoor in;
	SlotRecord &r = c->reg->slot(i);
	if (r.kind == kKindFile) {
		std::unique_ptr<OpenFile> f;
		if (h && h->file) {
			f = std::move(h->file);
		} else if (ensure_instance(c) == 0) {
			auto ino = table().resolve(r.node_path);
			if (const Node *n = ino ? table().node(*ino) : nullptr)
				f = n->attach(*c->inst, r.open_flags,
					      Cred{ r.uid, r.gid });
		}
		if (f) {
			size_t n = f->state_size();
			if (n > 0 && n <= kStateMax)
				f->load_state(r.bytes);
			f->set_releases(true);
			f.reset();
		}
	}
	c->reg->free_slot(i);
}

void set_fd(int fd, Handle *h)
{
	Handle *prev = __atomic_exchange_n(&mlcpl_fds[fd], h, __ATOMIC_ACQ_REL);
	if (h) {
		h->refs++;
		int high = __atomic_load_n(&mlcpl_fd_high, __ATOMIC_RELAXED);
		while (fd > high &&
		       !__atomic_compare_exchange_n(&mlcpl_fd_high, &high, fd,
						    true, __ATOMIC_RELAXED,
						    __ATOMIC_RELAXED)) {
		}
	}
	if (prev)
		drop_ref(prev);
}

// fileless: the DirectoryFile or PathFile open() made, if it did.
Handle *new_handle(InstanceCtx *c, uint32_t slot,
		   std::unique_ptr<OpenFile> fileless)
{
	SlotRecord &r = c->reg->slot(slot);
	auto ino = table().resolve(r.node_path);
	const Node *node = ino ? table().node(*ino) : nullptr;
	if (!node)
		return nullptr;
	auto *h = new Handle;
	h->ctx = c;
	h->slot = slot;
	h->gen = r.gen;
	h->ino = *ino;
	h->node = node;
	h->rec = &r;
	h->path_only = r.kind == kKindPath;
	if (h->path_only) {
		h->file = fileless ? std::move(fileless) :
				     open_fileless(*node, r.open_flags);
		h->ready = true;
	}
	c->handles[slot] = h;
	return h;
}

// Whether the host's stat is one of our placeholders: the host reached a
// served descriptor's placeholder through /proc/self/fd/N (by a symlink).
bool is_placeholder(const struct stat &st)
{
	std::lock_guard<std::mutex> lock(mu());
	for (InstanceCtx *c : contexts())
		if (c->reg && c->reg->is_placeholder(st.st_dev, st.st_ino))
			return true;
	return false;
}

} // namespace mlc::preload
