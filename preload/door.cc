// SPDX-License-Identifier: GPL-2.0
#include "preload/door_api.h"

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

extern "C" {
#include "core/vfs_model.h"
}
#include "emulator/file_table.hpp"
#include "emulator/instance.hpp"
#include "emulator/path_walk.hpp"
#include "preload/directory_and_path_files.hpp"
#include "preload/real.hpp"
#include "preload/registry.hpp"
#include "preload/safe_memory.hpp"

struct mlcpl_handle;

extern "C" {
mlcpl_handle **mlcpl_fds = nullptr;
size_t mlcpl_fd_cap = 0;
int mlcpl_fd_high = -1;
__thread int mlcpl_in_door;
}

namespace mlc::preload {

using Handle = ::mlcpl_handle;

void door_init();

namespace {

class InDoor {
public:
	InDoor() { mlcpl_in_door++; }
	~InDoor() { mlcpl_in_door--; }
	InDoor(const InDoor &) = delete;
	InDoor &operator=(const InDoor &) = delete;
};

Handle *served(int fd)
{
	return mlcpl_served(fd);
}

constexpr const char *kInstanceEnv = "MLCORE_EMU_INSTANCE";
constexpr const char *kSeedEnv = "MLCORE_EMU_SEED";
constexpr const char *kStateDirEnv = "MLCORE_EMU_STATE_DIR";
constexpr const char *kRegistryName = "open-files.v1";
// Served descriptors are numbered below this (and below RLIMIT_NOFILE).
constexpr size_t kMaxFds = size_t{1} << 20;
// st_ino of a served node: a fixed base plus its table inode.
constexpr ino_t kInoBase = 0x6d6c0000;

enum SlotKind : uint32_t { kKindFile = 0, kKindPath = 1 };

}  // namespace

struct InstanceCtx {
	std::string name;
	std::unique_ptr<Registry> reg;
	std::unique_ptr<Instance> inst;		// attached on first use
	Handle *handles[kSlotCount] = {};	// this process's, by slot
};

}  // namespace mlc::preload

// This process's view of one open file description.
struct mlcpl_handle {
	mlc::preload::InstanceCtx *ctx = nullptr;
	uint32_t slot = 0;
	uint64_t gen = 0;
	uint64_t ino = 0;
	const mlc::Node *node = nullptr;
	mlc::preload::SlotRecord *rec = nullptr;
	// O_PATH or a directory: file is its DirectoryFile or PathFile, made
	// with the handle, and answers every call at once (no lock, no state).
	bool path_only = false;
	std::unique_ptr<mlc::OpenFile> file;	// null until this process needs it
	bool ready = false;			// file made (atomic accesses)
	bool has_state = false;
	uint64_t loaded_version = ~uint64_t{0};
	int refs = 0;			// descriptors of this process (under mu())
};

namespace mlc::preload {

namespace {

// Made on first use (our constructor may run before this file's dynamic
// initialisers) and never destroyed (exit() and other threads may still
// call in).
std::mutex &mu()
{
	static std::mutex *m = new std::mutex;
	return *m;
}

std::vector<InstanceCtx *> &contexts()
{
	static auto *v = new std::vector<InstanceCtx *>;
	return *v;
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

std::once_flag g_init_once;

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

std::filesystem::path registry_path(const std::string &name)
{
	return Instance::state_dir_of(name) / kRegistryName;
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
					  Cred{r.uid, r.gid});
		if (!h->file)
			return -ENXIO;
		size_t n = h->file->state_size();
		h->has_state = n > 0 && n <= kStateMax;
		h->loaded_version = ~uint64_t{0};
	}
	__atomic_store_n(&h->ready, true, __ATOMIC_RELEASE);
	return 0;
}

// One operation on a description: its lock held, its state loaded.
class OpScope {
public:
	explicit OpScope(Handle *h)
		: h_(h), rec_(*h->rec), guard_(rec_.lock, "an open file description")
	{
		if (h_->has_state && rec_.state_version != h_->loaded_version) {
			h_->file->load_state(rec_.bytes);
			h_->loaded_version = rec_.state_version;
		}
	}
	// After an operation that may have changed the file's state.
	void save()
	{
		if (!h_->has_state)
			return;
		h_->file->save_state(rec_.bytes);
		h_->loaded_version = ++rec_.state_version;
	}
	SlotRecord &rec() { return rec_; }

private:
	Handle *h_;
	SlotRecord &rec_;
	RobustLock guard_;
};

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
				f = n->attach(*c->inst, r.open_flags, Cred{r.uid, r.gid});
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
		h->file->set_releases(false);	// others hold it still
		h->file.reset();
	}
	delete h;
}

void set_fd(int fd, Handle *h)
{
	Handle *prev = __atomic_exchange_n(&mlcpl_fds[fd], h, __ATOMIC_ACQ_REL);
	if (h) {
		h->refs++;
		int high = __atomic_load_n(&mlcpl_fd_high, __ATOMIC_RELAXED);
		while (fd > high &&
		       !__atomic_compare_exchange_n(&mlcpl_fd_high, &high, fd, true,
						    __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
		}
	}
	if (prev)
		drop_ref(prev);
}

// fileless: the DirectoryFile or PathFile open() made, if it did.
Handle *new_handle(InstanceCtx *c, uint32_t slot,
		   std::unique_ptr<OpenFile> fileless = nullptr)
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
		h->file = fileless ? std::move(fileless) : open_fileless(*node, r.open_flags);
		h->ready = true;
	}
	c->handles[slot] = h;
	return h;
}

// --- paths ----------------------------------------------------------------

// Names of every table entry: a path whose last component is none of
// these is not ours, decided without a system call.
const std::unordered_set<std::string_view> &table_names()
{
	static const auto *names = [] {
		auto *s = new std::unordered_set<std::string_view>;
		for (size_t i = 1; i <= table().size(); i++)
			if (const Node *n = table().node(i); n && !n->path().empty())
				s->insert(n->name());
		return s;
	}();
	return *names;
}

// "/proc/self/fd/N", "/proc/<our pid>/fd/N", "/dev/fd/N" naming a served
// descriptor: its handle.
Handle *fd_link(const std::vector<std::string_view> &comps)
{
	std::string_view num;
	if (comps.size() == 4 && comps[0] == "proc" && comps[2] == "fd" &&
	    (comps[1] == "self" || comps[1] == std::to_string(getpid())))
		num = comps[3];
	else if (comps.size() == 3 && comps[0] == "dev" && comps[1] == "fd")
		num = comps[2];
	else
		return nullptr;
	if (num.empty() || num.size() > 9)
		return nullptr;
	int fd = 0;
	for (char ch : num) {
		if (ch < '0' || ch > '9')
			return nullptr;
		fd = fd * 10 + (ch - '0');
	}
	return served(fd);
}

// The absolute path of a directory descriptor, if it has one.
bool dir_path(int dirfd, std::string *out, int *err)
{
	if (dirfd == AT_FDCWD) {
		char buf[4096];
		if (!getcwd(buf, sizeof(buf)))
			return false;
		*out = buf;
		return true;
	}
	if (Handle *h = served(dirfd)) {
		if (h->node->type() != NodeType::Directory) {
			*err = ENOTDIR;
			return false;
		}
		*out = "/" + h->node->path();
		return true;
	}
	struct stat st;
	if (real().fstat(dirfd, &st) != 0) {
		*err = errno;
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		*err = ENOTDIR;
		return false;
	}
	char link[64], buf[4096];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
	ssize_t n = real().readlink(link, buf, sizeof(buf) - 1);
	if (n <= 0 || buf[0] != '/')
		return false;
	out->assign(buf, static_cast<size_t>(n));
	return true;
}

}  // namespace

// "/proc/self/fd/N" and friends, as written (no folding): readlink's case.
Handle *fd_link_path(const char *path)
{
	if (!path || path[0] != '/' || !mlcpl_fds)
		return nullptr;
	std::vector<std::string_view> comps;
	std::string_view rest(path + 1);
	while (!rest.empty()) {
		size_t s = rest.find('/');
		if (s != 0)
			comps.push_back(rest.substr(0, s));
		rest = s == std::string_view::npos ? std::string_view{} : rest.substr(s + 1);
	}
	return fd_link(comps);
}

namespace {

// The walk's questions, answered by the real C library (never ours).
class RealHost : public HostFs {
public:
	int lstat_mode(const std::string &abs, mode_t *mode) override
	{
		struct stat st;
		if (real().fstatat(AT_FDCWD, abs.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
			return -errno;
		*mode = st.st_mode;
		return 0;
	}
	int readlink(const std::string &abs, std::string *target) override
	{
		char buf[4096];
		ssize_t n = real().readlink(abs.c_str(), buf, sizeof(buf));
		if (n < 0)
			return -errno;
		if (static_cast<size_t>(n) >= sizeof(buf))
			return -ENAMETOOLONG;
		target->assign(buf, static_cast<size_t>(n));
		return 0;
	}
	// /proc/<our pid>/fd/N and /proc/<our pid>/task/<tid>/fd/N of a
	// served descriptor (the kernel's proc_fd_link jumps to its file).
	std::optional<FileTable::Ino> magic_link(const std::string &abs) override
	{
		std::vector<std::string_view> c;
		std::string_view rest(abs);
		while (!rest.empty()) {
			size_t s = rest.find('/');
			if (s != 0)
				c.push_back(rest.substr(0, s));
			rest = s == std::string_view::npos ? std::string_view{}
							   : rest.substr(s + 1);
		}
		std::string pid = std::to_string(getpid());
		std::string_view num;
		if (c.size() == 4 && c[0] == "proc" && c[1] == pid && c[2] == "fd")
			num = c[3];
		else if (c.size() == 6 && c[0] == "proc" && c[1] == pid &&
			 c[2] == "task" && all_digits(c[3]) && c[4] == "fd")
			num = c[5];
		if (num.empty() || num.size() > 9)
			return std::nullopt;
		int fd = 0;
		for (char ch : num)
			fd = fd * 10 + (ch - '0');
		Handle *h = served(fd);
		if (!h)
			return std::nullopt;
		return h->ino;
	}
};

// Whether the door must walk a path before the host sees it: its last
// name is one of the table's, a fd number, "." or "..".  Any other path
// reaches a served node only through a symlink the host cannot follow
// (it leads into a served tree), which the host reports as ENOENT or
// ENOTDIR: only then does the door walk it.
bool table_candidate(std::string_view p)
{
	while (p.size() > 1 && p.back() == '/')
		p.remove_suffix(1);
	size_t slash = p.rfind('/');
	std::string_view last = slash == std::string_view::npos ? p : p.substr(slash + 1);
	return last == "." || last == ".." || table_names().count(last) || all_digits(last);
}

// Whether the host itself answers ENOENT for path: its directory is the
// host's and its last name is missing there (and, not being a table name,
// is missing on the kernel too).
bool host_lacks_name(int dirfd, std::string_view p)
{
	while (p.size() > 1 && p.back() == '/')
		p.remove_suffix(1);
	size_t slash = p.rfind('/');
	std::string parent = slash == std::string_view::npos ? std::string(".")
			     : slash == 0			 ? std::string("/")
							: std::string(p.substr(0, slash));
	struct stat st;
	if (real().fstatat(dirfd, parent.c_str(), &st, 0) != 0 || !S_ISDIR(st.st_mode))
		return false;
	return real().fstatat(dirfd, std::string(p).c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 &&
	       errno == ENOENT;
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

// The path the host must be given instead of the one written (the walk
// went through the table: "/sys/class/ml_lib_test/.." is "/sys/class").
__thread char t_host_path[4096];

}  // namespace

mlcpl_lookup lookup(int dirfd, const char *path, int how)
{
	mlcpl_lookup pass{MLCPL_PASS, 0, 0, path};
	if (!path || !*path || !mlcpl_fds)
		return pass;
	bool nofollow = how & MLCPL_NOFOLLOW;
	bool candidate = table_candidate(path);
	if (!candidate && (how & MLCPL_HOST_FIRST))
		return pass;
	if (candidate && (how & MLCPL_HOST_FAILED))
		return pass;	// walked before the host was asked
	if (!candidate && (how & MLCPL_HOST_FAILED)) {
		InDoor in;
		if (errno == ENOENT && host_lacks_name(dirfd, path))
			return pass;
	} else if (!candidate) {
		// The host's answer stands unless it cannot find the path.
		InDoor in;
		struct stat st;
		if (real().fstatat(dirfd, path, &st, nofollow ? AT_SYMLINK_NOFOLLOW : 0) == 0) {
			if (!is_placeholder(st))
				return pass;
			// Through /proc/self/fd/N of a served descriptor: ours.
		} else if (errno != ENOENT && errno != ENOTDIR)
			return pass;
		else if (errno == ENOENT && host_lacks_name(dirfd, path))
			return pass;
	}

	InDoor in;
	std::string start;
	if (path[0] != '/') {
		int err = 0;
		if (!dir_path(dirfd, &start, &err)) {
			if (err)
				return mlcpl_lookup{MLCPL_ERROR, err, 0, path};
			return pass;
		}
	}
	RealHost host;
	WalkOptions opts;
	opts.follow_last = !nofollow;
	WalkResult w = walk_path(table(), host, start, path, opts);
	switch (w.kind) {
	case WalkResult::Error:
		return mlcpl_lookup{MLCPL_ERROR, -w.err, 0, path};
	case WalkResult::Host:
		if (!w.crossed)
			return pass;
		break;
	case WalkResult::Served: {
		const Node *n = table().node(w.ino);
		if (n->type() != NodeType::Directory)
			return mlcpl_lookup{MLCPL_FILE, 0, w.ino, path};
		// A directory the host has (/dev, /proc, /sys/kernel) is the host's.
		struct stat st;
		if (real().fstatat(AT_FDCWD, w.host_path.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
			return mlcpl_lookup{MLCPL_DIR, 0, w.ino, path};
		pass.ino = w.ino;
		if (!w.crossed)
			return pass;
		break;
	}
	}
	if (w.host_path.size() >= sizeof(t_host_path))
		return mlcpl_lookup{MLCPL_ERROR, ENAMETOOLONG, 0, path};
	memcpy(t_host_path, w.host_path.c_str(), w.host_path.size() + 1);
	pass.path = t_host_path;
	return pass;
}

int open_at(const mlcpl_lookup &l, int flags)
{
	if (l.kind == MLCPL_ERROR)
		return -l.err;
	const Node *node = table().node(l.ino);
	if (!node)
		return -ENOENT;
	if (!(flags & O_PATH))
		if (int err = mlc_vfs_open_existing_check(flags, node->mode()))
			return err;
	// A directory or O_PATH: an object of its own, no driver open.
	std::unique_ptr<OpenFile> file = open_fileless(*node, flags);
	bool path_only = file != nullptr;

	// Its canonical path, as readlink(/proc/self/fd/N) shows it (d_path).
	std::string abs = "/" + node->path();
	if (borrowed_memory())	// a vfork child must not change our tables
		return -ENOSYS;
	InDoor in;
	std::lock_guard<std::mutex> lock(mu());
	InstanceCtx *c = nullptr;
	if (int err = current_ctx(&c))
		return err;
	int slot = c->reg->allocate();
	if (slot < 0)
		return slot;
	int fd = c->reg->open_placeholder(static_cast<uint32_t>(slot), flags);
	if (fd >= 0 && static_cast<size_t>(fd) >= mlcpl_fd_cap) {
		real().close(fd);
		fd = -EMFILE;
	}
	if (fd < 0) {
		c->reg->free_slot(static_cast<uint32_t>(slot));
		return fd;
	}
	SlotRecord &r = c->reg->slot(static_cast<uint32_t>(slot));
	r.open_flags = flags;
	r.uid = geteuid();
	r.gid = getegid();
	r.kind = path_only ? kKindPath : kKindFile;
	r.pos = 0;
	snprintf(r.node_path, sizeof(r.node_path), "%s", node->path().c_str());
	snprintf(r.real_path, sizeof(r.real_path), "%s", abs.c_str());

	if (!path_only) {
		int err = 0;
		file = node->open(*c->inst, flags, Cred{r.uid, r.gid}, &err);
		if (!file) {
			real().close(fd);
			c->reg->free_slot(static_cast<uint32_t>(slot));
			return err ? err : -ENXIO;
		}
	}
	Handle *h = new_handle(c, static_cast<uint32_t>(slot),
			       path_only ? std::move(file) : nullptr);
	if (file) {
		size_t n = file->state_size();
		h->has_state = n > 0 && n <= kStateMax;
		h->file = std::move(file);
		h->ready = true;
		if (h->has_state) {
			h->file->save_state(r.bytes);
			r.state_version = 1;
			h->loaded_version = 1;
		}
	}
	c->reg->publish(static_cast<uint32_t>(slot));
	install_fault_guard();
	set_fd(fd, h);
	return fd;
}

long close_fd(int fd)
{
	if (borrowed_memory())
		return real().close(fd) < 0 ? -errno : 0;
	std::lock_guard<std::mutex> lock(mu());
	Handle *h = __atomic_exchange_n(&mlcpl_fds[fd], nullptr, __ATOMIC_ACQ_REL);
	int r = real().close(fd);
	int err = r < 0 ? errno : 0;
	if (h)
		drop_ref(h);
	return err ? -err : 0;
}

void dup_done(int oldfd, int newfd)
{
	if (newfd < 0 || oldfd == newfd || static_cast<size_t>(newfd) >= mlcpl_fd_cap ||
	    borrowed_memory())
		return;
	std::lock_guard<std::mutex> lock(mu());
	set_fd(newfd, served(oldfd));
}

void forget_fd(int fd)
{
	if (static_cast<size_t>(fd) >= mlcpl_fd_cap || borrowed_memory())
		return;
	std::lock_guard<std::mutex> lock(mu());
	set_fd(fd, nullptr);
}

void forget_range(unsigned lo, unsigned hi)
{
	int high = __atomic_load_n(&mlcpl_fd_high, __ATOMIC_RELAXED);
	if (high < 0 || borrowed_memory())
		return;
	std::lock_guard<std::mutex> lock(mu());
	for (unsigned fd = lo; fd <= hi && fd <= static_cast<unsigned>(high); fd++)
		if (served(static_cast<int>(fd)))
			set_fd(static_cast<int>(fd), nullptr);
}

// --- data -----------------------------------------------------------------

namespace {

// A directory's or O_PATH descriptor's read and write: its object's answer.
long path_only_read(Handle *h, void *buf, size_t count)
{
	SafeMemory mem;
	int64_t pos = 0;
	return h->file->read(reinterpret_cast<mlc_uptr>(buf), count, &pos, mem);
}

long path_only_write(Handle *h, const void *buf, size_t count)
{
	SafeMemory mem;
	int64_t pos = 0;
	return h->file->write(reinterpret_cast<mlc_uptr>(buf), count, &pos, mem);
}

long do_read(Handle *h, mlc_uptr buf, size_t count, int64_t *pos)
{
	SafeMemory mem;
	return h->file->read(buf, count, pos, mem);
}

long do_write(Handle *h, mlc_uptr buf, size_t count, int64_t *pos)
{
	SafeMemory mem;
	return h->file->write(buf, count, pos, mem);
}

}  // namespace

long read_fd(Handle *h, void *buf, size_t count)
{
	if (h->path_only)
		return path_only_read(h, buf, count);
	InDoor in;
	if (int err = ensure_file(h))
		return err;
	OpScope op(h);
	int64_t pos = op.rec().pos;
	long r = do_read(h, reinterpret_cast<mlc_uptr>(buf), count, &pos);
	op.rec().pos = pos;
	op.save();
	return r;
}

long write_fd(Handle *h, const void *buf, size_t count)
{
	if (h->path_only)
		return path_only_write(h, buf, count);
	InDoor in;
	if (int err = ensure_file(h))
		return err;
	OpScope op(h);
	int64_t pos = op.rec().pos;
	long r = do_write(h, reinterpret_cast<mlc_uptr>(buf), count, &pos);
	op.rec().pos = pos;
	op.save();
	return r;
}

long pread_fd(Handle *h, void *buf, size_t count, int64_t pos)
{
	if (long err = mlc_vfs_positional_check(pos))
		return err;
	if (h->path_only)
		return path_only_read(h, buf, count);
	InDoor in;
	if (int err = ensure_file(h))
		return err;
	OpScope op(h);
	long r = do_read(h, reinterpret_cast<mlc_uptr>(buf), count, &pos);
	op.save();
	return r;
}

long pwrite_fd(Handle *h, const void *buf, size_t count, int64_t pos)
{
	if (long err = mlc_vfs_positional_check(pos))
		return err;
	if (h->path_only)
		return path_only_write(h, buf, count);
	InDoor in;
	if (int err = ensure_file(h))
		return err;
	OpScope op(h);
	long r = do_write(h, reinterpret_cast<mlc_uptr>(buf), count, &pos);
	op.save();
	return r;
}

namespace {

// readv/writev on a file with ->read/->write but no ->read_iter: the VFS
// calls the handler once per segment until one comes back short
// (do_loop_readv_writev()).  The iovec array is the caller's memory.
template <bool kWrite>
long rw_vector(Handle *h, const struct iovec *uiov, int iovcnt, bool positional,
	       int64_t pos)
{
	if (positional)
		if (long err = mlc_vfs_positional_check(pos))
			return err;
	if (iovcnt < 0 || iovcnt > IOV_MAX)
		return -EINVAL;
	if (h->path_only)	// the first segment's answer, memory untouched
		return kWrite ? path_only_write(h, nullptr, 0) : path_only_read(h, nullptr, 0);
	std::vector<struct iovec> iov(static_cast<size_t>(iovcnt));
	if (iovcnt && guarded_copy(iov.data(), uiov, iov.size() * sizeof(struct iovec)))
		return -EFAULT;
	InDoor in;
	if (int err = ensure_file(h))
		return err;
	OpScope op(h);
	int64_t p = positional ? pos : op.rec().pos;
	long total = 0;
	if (iov.empty())
		iov.push_back({nullptr, 0});	// the handler still checks the mode
	for (const auto &v : iov) {
		long r = kWrite ? do_write(h, reinterpret_cast<mlc_uptr>(v.iov_base),
					   v.iov_len, &p)
				: do_read(h, reinterpret_cast<mlc_uptr>(v.iov_base),
					  v.iov_len, &p);
		if (r < 0) {
			if (!total)
				total = r;
			break;
		}
		total += r;
		if (static_cast<size_t>(r) != v.iov_len)
			break;
	}
	if (!positional)
		op.rec().pos = p;
	op.save();
	return total;
}

}  // namespace

long readv_fd(Handle *h, const struct iovec *iov, int iovcnt, bool positional,
	      int64_t pos)
{
	return rw_vector<false>(h, iov, iovcnt, positional, pos);
}

long writev_fd(Handle *h, const struct iovec *iov, int iovcnt, bool positional,
	       int64_t pos)
{
	return rw_vector<true>(h, iov, iovcnt, positional, pos);
}

int64_t lseek_fd(Handle *h, int64_t off, int whence)
{
	if (long err = mlc_vfs_lseek_whence_check(whence))
		return err;
	if (h->path_only) {
		int64_t pos = 0;
		return h->file->lseek(&pos, off, whence);
	}
	InDoor in;
	if (int err = ensure_file(h))
		return err;
	OpScope op(h);
	int64_t pos = op.rec().pos;
	int64_t r = h->file->lseek(&pos, off, whence);
	if (r >= 0)
		op.rec().pos = pos;
	op.save();
	return r;
}

namespace {

// An ioctl the VFS answers: the descriptor's flags are the kernel's (on
// the placeholder), the decision is the core's.
long vfs_ioctl(int fd, Handle *h, unsigned int cmd, unsigned long arg, bool regular)
{
	const Real &r = real();
	int fdflags = r.fcntl(fd, F_GETFD);
	int flflags = r.fcntl(fd, F_GETFL);
	if (fdflags < 0 || flflags < 0)
		return -EBADF;
	unsigned int before = (fdflags & FD_CLOEXEC ? MLC_VFS_FD_CLOEXEC : 0) |
			      (flflags & O_NONBLOCK ? MLC_VFS_O_NONBLOCK : 0) |
			      (flflags & O_ASYNC ? MLC_VFS_O_ASYNC : 0);
	unsigned int flags = before;
	int64_t pos = regular ? h->rec->pos : 0;
	SafeMemory mem;
	mlc_host host;
	host.user = &mem;
	long ret = mlc_vfs_ioctl(&host, cmd, arg, regular, pos, &flags);
	if (ret == 0 && ((flags ^ before) & MLC_VFS_FD_CLOEXEC))
		r.fcntl(fd, F_SETFD, flags & MLC_VFS_FD_CLOEXEC ? fdflags | FD_CLOEXEC
								 : fdflags & ~FD_CLOEXEC);
	if (ret == 0 && ((flags ^ before) & MLC_VFS_O_NONBLOCK))
		r.fcntl(fd, F_SETFL, flags & MLC_VFS_O_NONBLOCK ? flflags | O_NONBLOCK
								: flflags & ~O_NONBLOCK);
	return ret;
}

}  // namespace

long ioctl_fd(int fd, Handle *h, unsigned long cmd_arg, unsigned long arg)
{
	// The kernel's cmd is an unsigned int: the upper bits are dropped.
	auto cmd = static_cast<unsigned int>(cmd_arg);
	SafeMemory mem;
	// O_PATH: no file for the VFS either, its object answers everything.
	if (!mlc_vfs_fd_has_file(h->rec->open_flags))
		return h->file->ioctl(cmd, arg, mem);
	bool regular = h->node->type() != NodeType::CharDevice;
	if (mlc_vfs_ioctl_is_vfs(cmd, regular))
		return vfs_ioctl(fd, h, cmd, arg, regular);
	if (h->path_only)	// a directory
		return h->file->ioctl(cmd, arg, mem);
	InDoor in;
	if (int err = ensure_file(h))
		return err;
	if (!h->has_state)	// the common case: no lock but the device's
		return h->file->ioctl(cmd, arg, mem);
	OpScope op(h);
	long r = h->file->ioctl(cmd, arg, mem);
	op.save();
	return r;
}

long mmap_fd(Handle *h, bool shared, bool prot_write, size_t len)
{
	if (h->path_only)
		return h->file->mmap();
	if (long err = mlc_vfs_mmap_check(mlc_fmode_from_flags(h->rec->open_flags),
					  shared, prot_write, len))
		return err;
	InDoor in;
	if (int err = ensure_file(h))
		return err;
	return h->file->mmap();
}

long getfl_fd(int fd, Handle *h)
{
	int fl = real().fcntl(fd, F_GETFL);
	if (fl < 0)
		return -errno;
	// The placeholder's SETFL bits are the description's; the rest is
	// what the program opened with, as the VFS keeps it.
	return mlc_vfs_getfl(h->rec->open_flags, fl);
}

unsigned int poll_fd(Handle *h)
{
	if (h->path_only)
		return h->file->poll();
	InDoor in;
	if (ensure_file(h))
		return POLLERR;
	return h->file->poll();
}

long copy_file_range_fd(Handle *in, Handle *out)
{
	return mlc_vfs_copy_file_range_served(in ? in->node->mode() : 0,
					      out ? out->node->mode() : 0);
}

long lock_fd(Handle *h, int cmd, unsigned long arg)
{
	(void)h;
	static_assert(sizeof(struct mlc_flock) == sizeof(struct flock));
	SafeMemory mem;
	mlc_host host;
	host.user = &mem;
	return mlc_vfs_lock(&host, cmd, arg);
}

const char *path_of(Handle *h)
{
	return h->rec->real_path;
}

// --- stat and access --------------------------------------------------------

namespace {

// The real top-level directory of a served node (/dev, /proc, /sys): its
// filesystem's device and block size are the served node's.
struct TopAttr {
	dev_t dev = 0;
	blksize_t blksize = 4096;
};

TopAttr top_attr(const Node *n)
{
	static std::mutex mu;
	static std::vector<std::pair<std::string, TopAttr>> *cache =
		new std::vector<std::pair<std::string, TopAttr>>;
	std::string top = n->path().substr(0, n->path().find('/'));
	std::lock_guard<std::mutex> lock(mu);
	for (auto &[name, attr] : *cache)
		if (name == top)
			return attr;
	TopAttr attr;
	struct stat st;
	if (real().stat(("/" + top).c_str(), &st) == 0) {
		attr.dev = st.st_dev;
		attr.blksize = st.st_blksize;
	}
	cache->emplace_back(top, attr);
	return attr;
}

}  // namespace

void stat_node(uint64_t ino, struct stat *st)
{
	const Node *n = table().node(ino);
	std::memset(st, 0, sizeof(*st));
	TopAttr top = top_attr(n);
	st->st_dev = top.dev;
	st->st_ino = kInoBase + ino;
	st->st_mode = n->mode();
	st->st_nlink = n->type() == NodeType::Directory ? 2 : 1;
	st->st_uid = 0;
	st->st_gid = 0;
	st->st_rdev = n->rdev();
	st->st_size = n->size();
	st->st_blksize = top.blksize;
	st->st_blocks = 0;
	int64_t t = 0;
	{
		InDoor in;
		std::lock_guard<std::mutex> lock(mu());
		InstanceCtx *c = nullptr;
		if (current_ctx(&c) == 0)
			t = c->inst->header().created_realtime_sec;
	}
	st->st_atim.tv_sec = st->st_mtim.tv_sec = st->st_ctim.tv_sec = t;
}

void stat_handle(Handle *h, struct stat *st)
{
	stat_node(h->ino, st);
	if (h->ctx->inst)
		st->st_atim.tv_sec = st->st_mtim.tv_sec = st->st_ctim.tv_sec =
			h->ctx->inst->header().created_realtime_sec;
}

void stat_to_statx(const struct stat &st, struct statx *stx)
{
	std::memset(stx, 0, sizeof(*stx));
	stx->stx_mask = STATX_BASIC_STATS;
	stx->stx_blksize = static_cast<uint32_t>(st.st_blksize);
	stx->stx_nlink = static_cast<uint32_t>(st.st_nlink);
	stx->stx_uid = st.st_uid;
	stx->stx_gid = st.st_gid;
	stx->stx_mode = static_cast<uint16_t>(st.st_mode);
	stx->stx_ino = st.st_ino;
	stx->stx_size = static_cast<uint64_t>(st.st_size);
	stx->stx_blocks = static_cast<uint64_t>(st.st_blocks);
	stx->stx_atime.tv_sec = st.st_atim.tv_sec;
	stx->stx_mtime.tv_sec = st.st_mtim.tv_sec;
	stx->stx_ctime.tv_sec = st.st_ctim.tv_sec;
	stx->stx_rdev_major = major(st.st_rdev);
	stx->stx_rdev_minor = minor(st.st_rdev);
	stx->stx_dev_major = major(st.st_dev);
	stx->stx_dev_minor = minor(st.st_dev);
}

int access_node(uint64_t ino, int mode, bool effective)
{
	const Node *n = table().node(ino);
	uid_t uid = effective ? geteuid() : getuid();
	gid_t gid = effective ? getegid() : getgid();
	bool in_root_group = gid == 0;
	if (!in_root_group) {
		gid_t groups[256];
		int n_groups = getgroups(256, groups);
		for (int i = 0; i < n_groups; i++)
			in_root_group |= groups[i] == 0;
	}
	static_assert(R_OK == MLC_R_OK && W_OK == MLC_W_OK && X_OK == MLC_X_OK);
	// The same stand-in-for-root rule as every open (Cred).
	return mlc_vfs_faccessat(n->mode(), mode, Cred{uid, gid}.may_override_perm(),
				 in_root_group);
}

// --- directories the host lacks --------------------------------------------

}  // namespace mlc::preload

struct mlcpl_vdir {
	uint64_t magic;
	int fd;			// a served directory descriptor (dirfd())
	std::vector<std::pair<std::string, const mlc::Node *>> entries;
	size_t next = 0;
	union {
		struct dirent de;
		char de_space[sizeof(struct dirent) + 256];
	};
	union {
		struct dirent64 de64;
		char de64_space[sizeof(struct dirent64) + 256];
	};
};

namespace mlc::preload {

using VDir = ::mlcpl_vdir;

namespace {

constexpr uint64_t kVDirMagic = 0x524944564c4d4c43ULL;
std::unordered_set<const void *> &vdirs()
{
	static auto *v = new std::unordered_set<const void *>;
	return *v;
}

std::atomic<int> g_vdir_count{0};

unsigned char dtype(const Node *n)
{
	switch (n->type()) {
	case NodeType::Directory:
		return DT_DIR;
	case NodeType::CharDevice:
		return DT_CHR;
	default:
		return DT_REG;
	}
}

VDir *make_vdir(int fd, uint64_t ino)
{
	auto *d = new VDir;
	d->magic = kVDirMagic;
	d->fd = fd;
	const Node *self = table().node(ino);
	d->entries.emplace_back(".", self);
	d->entries.emplace_back("..", table().node(table().parent(ino)));
	for (FileTable::Ino child : table().children(ino))
		d->entries.emplace_back(std::string(table().node(child)->name()),
					table().node(child));
	std::lock_guard<std::mutex> lock(mu());
	vdirs().insert(d);
	g_vdir_count++;
	return d;
}

}  // namespace

VDir *vdir_from_fd(int fd, Handle *h)
{
	return make_vdir(fd, h->ino);
}

bool is_vdir(const void *dir)
{
	if (!dir || g_vdir_count.load(std::memory_order_relaxed) == 0)
		return false;
	std::lock_guard<std::mutex> lock(mu());
	return vdirs().count(dir) != 0;
}

struct dirent *vdir_read(VDir *d)
{
	if (d->next >= d->entries.size())
		return nullptr;
	const auto &[name, node] = d->entries[d->next];
	std::memset(&d->de, 0, sizeof(d->de));
	d->de.d_ino = kInoBase + (node ? table().resolve(node->path()).value_or(0) : 0);
	d->de.d_off = static_cast<off_t>(++d->next);
	d->de.d_reclen = sizeof(d->de);
	d->de.d_type = node ? dtype(node) : static_cast<unsigned char>(DT_DIR);
	snprintf(d->de.d_name, sizeof(d->de.d_name), "%s", name.c_str());
	return &d->de;
}

struct dirent64 *vdir_read64(VDir *d)
{
	struct dirent *e = vdir_read(d);
	if (!e)
		return nullptr;
	std::memset(&d->de64, 0, sizeof(d->de64));
	d->de64.d_ino = e->d_ino;
	d->de64.d_off = e->d_off;
	d->de64.d_reclen = sizeof(d->de64);
	d->de64.d_type = e->d_type;
	snprintf(d->de64.d_name, sizeof(d->de64.d_name), "%s", e->d_name);
	return &d->de64;
}

void vdir_rewind(VDir *d)
{
	d->next = 0;
}

int vdir_close(VDir *d)
{
	{
		std::lock_guard<std::mutex> lock(mu());
		vdirs().erase(d);
		g_vdir_count--;
	}
	long r = served(d->fd) ? close_fd(d->fd) : real().close(d->fd);
	delete d;
	if (r < 0) {
		errno = static_cast<int>(-r);
		return -1;
	}
	return 0;
}

int vdir_fd(VDir *d)
{
	return d->fd;
}

// --- host directories the table adds entries to ------------------------------

namespace {

struct Merge {
	std::vector<std::pair<std::string, const Node *>> extras;
	size_t next = 0;
	union {
		struct dirent de;
		char de_space[sizeof(struct dirent) + 256];
	};
	union {
		struct dirent64 de64;
		char de64_space[sizeof(struct dirent64) + 256];
	};
};

std::unordered_map<const void *, Merge *> &merges()
{
	static auto *m = new std::unordered_map<const void *, Merge *>;
	return *m;
}
std::atomic<int> g_merge_count{0};

Merge *merge_of(const void *dir)
{
	if (g_merge_count.load(std::memory_order_relaxed) == 0)
		return nullptr;
	std::lock_guard<std::mutex> lock(mu());
	auto it = merges().find(dir);
	return it == merges().end() ? nullptr : it->second;
}

// The next extra entry, or null.
const std::pair<std::string, const Node *> *merge_step(const void *dir)
{
	Merge *m = merge_of(dir);
	if (!m || m->next >= m->extras.size())
		return nullptr;
	return &m->extras[m->next++];
}

}  // namespace

void merge_open(const void *dir, uint64_t ino)
{
	if (!dir)
		return;
	auto *m = new Merge;
	for (FileTable::Ino child : table().children(ino)) {
		const Node *n = table().node(child);
		struct stat st;
		std::string path = "/" + n->path();
		if (real().fstatat(AT_FDCWD, path.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
			m->extras.emplace_back(std::string(n->name()), n);
	}
	if (m->extras.empty()) {
		delete m;
		return;
	}
	std::lock_guard<std::mutex> lock(mu());
	merges()[dir] = m;
	g_merge_count++;
}

struct dirent *merge_next(const void *dir)
{
	auto *e = merge_step(dir);
	if (!e)
		return nullptr;
	Merge *m = merge_of(dir);
	std::memset(&m->de, 0, sizeof(m->de));
	m->de.d_ino = kInoBase + table().resolve(e->second->path()).value_or(0);
	m->de.d_off = static_cast<off_t>(0x7fff0000 + m->next);
	m->de.d_reclen = sizeof(m->de);
	m->de.d_type = dtype(e->second);
	snprintf(m->de.d_name, sizeof(m->de.d_name), "%s", e->first.c_str());
	return &m->de;
}

struct dirent64 *merge_next64(const void *dir)
{
	struct dirent *e = merge_next(dir);
	if (!e)
		return nullptr;
	Merge *m = merge_of(dir);
	std::memset(&m->de64, 0, sizeof(m->de64));
	m->de64.d_ino = e->d_ino;
	m->de64.d_off = e->d_off;
	m->de64.d_reclen = sizeof(m->de64);
	m->de64.d_type = e->d_type;
	snprintf(m->de64.d_name, sizeof(m->de64.d_name), "%s", e->d_name);
	return &m->de64;
}

void merge_rewind(const void *dir)
{
	if (Merge *m = merge_of(dir))
		m->next = 0;
}

void merge_close(const void *dir)
{
	if (g_merge_count.load(std::memory_order_relaxed) == 0)
		return;
	std::lock_guard<std::mutex> lock(mu());
	auto it = merges().find(dir);
	if (it == merges().end())
		return;
	delete it->second;
	merges().erase(it);
	g_merge_count--;
}

// --- children -----------------------------------------------------------------

namespace {

// This library's own file name (for LD_PRELOAD of children).
const char *self_path()
{
	static const char *path = [] {
		Dl_info info{};
		if (dladdr(reinterpret_cast<void *>(&door_init), &info) && info.dli_fname)
			return strdup(info.dli_fname);
		return static_cast<char *>(nullptr);
	}();
	return path;
}

// Filled in at init, so an exec in a vfork child allocates nothing.
char g_env_preload[4096];
char g_env_instance[128];
char g_env_state_dir[4096];
char g_env_seed[64];

const char *find_env(char *const envp[], const char *name)
{
	size_t len = strlen(name);
	for (char *const *e = envp; e && *e; e++)
		if (!strncmp(*e, name, len) && (*e)[len] == '=')
			return *e + len + 1;
	return nullptr;
}

void snapshot_env()
{
	const char *self = self_path();
	const char *preload = getenv("LD_PRELOAD");
	if (preload && self && strstr(preload, self))
		snprintf(g_env_preload, sizeof(g_env_preload), "LD_PRELOAD=%s", preload);
	else if (self)
		snprintf(g_env_preload, sizeof(g_env_preload), "LD_PRELOAD=%s%s%s", self,
			 preload && *preload ? ":" : "", preload ? preload : "");
	if (const char *n = getenv(kInstanceEnv))
		snprintf(g_env_instance, sizeof(g_env_instance), "%s=%s", kInstanceEnv, n);
	if (const char *d = getenv(kStateDirEnv))
		snprintf(g_env_state_dir, sizeof(g_env_state_dir), "%s=%s", kStateDirEnv, d);
	if (const char *s = getenv(kSeedEnv))
		snprintf(g_env_seed, sizeof(g_env_seed), "%s=%s", kSeedEnv, s);
}

}  // namespace

char *const *child_env(char *const envp[])
{
	const char *self = self_path();
	const char *pre = find_env(envp, "LD_PRELOAD");
	bool need_preload = self && g_env_preload[0] && !(pre && strstr(pre, self));
	bool need_inst = g_env_instance[0] && !find_env(envp, kInstanceEnv);
	bool need_dir = g_env_state_dir[0] && !find_env(envp, kStateDirEnv);
	bool need_seed = g_env_seed[0] && !find_env(envp, kSeedEnv);
	if (!need_preload && !need_inst && !need_dir && !need_seed)
		return envp;
	// Rare (the program built an environment without us): one mmap, no
	// malloc (this may run in a vfork child).
	size_t n = 0;
	for (char *const *e = envp; e && *e; e++)
		n++;
	size_t bytes = (n + 5) * sizeof(char *);
	void *mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return envp;
	auto **out = static_cast<char **>(mem);
	size_t k = 0;
	for (char *const *e = envp; e && *e; e++)
		if (!(need_preload && !strncmp(*e, "LD_PRELOAD=", 11)))
			out[k++] = *e;
	if (need_preload)
		out[k++] = g_env_preload;
	if (need_inst)
		out[k++] = g_env_instance;
	if (need_dir)
		out[k++] = g_env_state_dir;
	if (need_seed)
		out[k++] = g_env_seed;
	out[k] = nullptr;
	return out;
}

// --- process start and exit --------------------------------------------------

namespace {

// Descriptors inherited through exec that are placeholders of the current
// instance's registry: served again, on the same descriptions.
void discover(InstanceCtx *c)
{
	int dfd = real().open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	std::vector<int> fds;
	if (dfd >= 0) {
		DIR *d = real().fdopendir(dfd);
		if (d) {
			while (struct dirent *e = real().readdir(d))
				if (all_digits(e->d_name))
					fds.push_back(atoi(e->d_name));
			real().closedir(d);
		} else {
			real().close(dfd);
		}
	} else {
		for (int fd = 0; fd < 1024; fd++)
			fds.push_back(fd);
	}
	for (int fd : fds) {
		if (fd == dfd || static_cast<size_t>(fd) >= mlcpl_fd_cap)
			continue;
		struct stat st;
		if (real().fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
		    !c->reg->is_placeholder(st.st_dev, st.st_ino))
			continue;
		off_t pos = real().lseek(fd, 0, SEEK_CUR);
		uint32_t slot;
		uint64_t gen;
		if (!Registry::decode(pos, &slot, &gen) || gen == 0)
			continue;
		SlotRecord &r = c->reg->slot(slot);
		if (r.state != kSlotLive || ((r.gen ^ gen) & ((1u << 24) - 1)))
			continue;
		Handle *h = c->handles[slot] ? c->handles[slot] : new_handle(c, slot);
		if (h)
			set_fd(fd, h);
	}
}

}  // namespace

void door_init()
{
	std::call_once(g_init_once, [] {
		InDoor in;
		(void)real();
		struct rlimit rl{};
		size_t cap = 4096;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY)
			cap = std::max<size_t>(cap, rl.rlim_max);
		cap = std::min(cap, kMaxFds);
		void *mem = mmap(nullptr, cap * sizeof(Handle *),
				 PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (mem == MAP_FAILED)
			return;
		mlcpl_fds = static_cast<Handle **>(mem);
		mlcpl_fd_cap = cap;
		(void)table_names();
		snapshot_env();
		(void)mu();
		g_pid = getpid();
		pthread_atfork([] { mu().lock(); }, [] { mu().unlock(); },
			       [] {
				       g_pid = getpid();
				       mu().unlock();
			       });

		// A process started by exec inside an instance: take back the
		// descriptions it inherited, release those that died with it.
		if (!getenv(kInstanceEnv))
			return;
		std::lock_guard<std::mutex> lock(mu());
		InstanceCtx *c = ctx_named(instance_name(), false);
		if (!c)
			return;
		discover(c);
		if (__atomic_load_n(&mlcpl_fd_high, __ATOMIC_RELAXED) >= 0)
			install_fault_guard();
		for (uint32_t slot : c->reg->claim_all_gone())
			release_slot(c, slot, c->handles[slot]);
	});
}

void door_exit()
{
	int high = __atomic_load_n(&mlcpl_fd_high, __ATOMIC_RELAXED);
	if (!mlcpl_fds || high < 0)
		return;
	// Streams on served descriptors flush now, while they still work.
	fflush(nullptr);
	for (int fd = 0; fd <= high; fd++)
		if (served(fd))
			close_fd(fd);
}

}  // namespace mlc::preload

// --- the C API (door_api.h) ---------------------------------------------------

using namespace mlc::preload;

extern "C" {

void mlcpl_init(void) { door_init(); }
void mlcpl_exit(void) { door_exit(); }

struct mlcpl_lookup mlcpl_lookup_path(int dirfd, const char *path, int how)
{
	if (!mlcpl_fds)
		door_init();
	return lookup(dirfd, path, how);
}

bool mlcpl_is_placeholder(const struct stat *st)
{
	return mlcpl_fds && is_placeholder(*st);
}

int mlcpl_open(int dirfd, const char *path, const struct mlcpl_lookup *l, int flags)
{
	(void)dirfd;
	(void)path;
	return open_at(*l, flags);
}

struct mlcpl_handle *mlcpl_fd_link(const char *path)
{
	return fd_link_path(path);
}

long mlcpl_close(int fd) { return close_fd(fd); }
void mlcpl_dup_done(int oldfd, int newfd) { dup_done(oldfd, newfd); }
void mlcpl_forget_range(unsigned int lo, unsigned int hi) { forget_range(lo, hi); }

long mlcpl_read(struct mlcpl_handle *h, void *buf, size_t count)
{
	return read_fd(h, buf, count);
}

long mlcpl_write(struct mlcpl_handle *h, const void *buf, size_t count)
{
	return write_fd(h, buf, count);
}

long mlcpl_pread(struct mlcpl_handle *h, void *buf, size_t count, int64_t pos)
{
	return pread_fd(h, buf, count, pos);
}

long mlcpl_pwrite(struct mlcpl_handle *h, const void *buf, size_t count, int64_t pos)
{
	return pwrite_fd(h, buf, count, pos);
}

long mlcpl_readv(struct mlcpl_handle *h, const struct iovec *iov, int iovcnt,
		 bool positional, int64_t pos)
{
	return readv_fd(h, iov, iovcnt, positional, pos);
}

long mlcpl_writev(struct mlcpl_handle *h, const struct iovec *iov, int iovcnt,
		  bool positional, int64_t pos)
{
	return writev_fd(h, iov, iovcnt, positional, pos);
}

int64_t mlcpl_lseek(struct mlcpl_handle *h, int64_t off, int whence)
{
	return lseek_fd(h, off, whence);
}

long mlcpl_ioctl(int fd, struct mlcpl_handle *h, unsigned long cmd, unsigned long arg)
{
	return ioctl_fd(fd, h, cmd, arg);
}

long mlcpl_mmap(struct mlcpl_handle *h, bool shared, bool prot_write, size_t len)
{
	return mmap_fd(h, shared, prot_write, len);
}

long mlcpl_getfl(int fd, struct mlcpl_handle *h) { return getfl_fd(fd, h); }
unsigned int mlcpl_poll(struct mlcpl_handle *h) { return poll_fd(h); }

long mlcpl_copy_file_range(struct mlcpl_handle *in, struct mlcpl_handle *out)
{
	return copy_file_range_fd(in, out);
}

long mlcpl_splice(struct mlcpl_handle *in, struct mlcpl_handle *out)
{
	(void)in;
	(void)out;
	return mlc_vfs_splice_no_handler();
}

bool mlcpl_is_lock_cmd(int cmd) { return mlc_vfs_is_lock_cmd(cmd); }

long mlcpl_lock(struct mlcpl_handle *h, int cmd, unsigned long arg)
{
	return lock_fd(h, cmd, arg);
}

long mlcpl_flock(struct mlcpl_handle *h, int op)
{
	(void)h;
	(void)op;
	return mlc_vfs_flock();
}

long mlcpl_readlink_node(uint64_t ino)
{
	(void)ino;
	return mlc_vfs_readlink_not_symlink();
}

long mlcpl_xattr(int op)
{
	switch (op) {
	case MLCPL_XATTR_GET:
		return mlc_vfs_getxattr_none();
	case MLCPL_XATTR_LIST:
		return mlc_vfs_listxattr_none();
	default:
		return mlc_vfs_setxattr_none();
	}
}

bool mlcpl_is_dir(struct mlcpl_handle *h)
{
	return h->node->type() == mlc::NodeType::Directory;
}

void mlcpl_stat_handle(struct mlcpl_handle *h, struct stat *st) { stat_handle(h, st); }
void mlcpl_stat_node(uint64_t ino, struct stat *st) { stat_node(ino, st); }

void mlcpl_stat_to_statx(const struct stat *st, struct statx *stx)
{
	stat_to_statx(*st, stx);
}

int mlcpl_access(uint64_t ino, int mode, bool effective)
{
	return access_node(ino, mode, effective);
}

const char *mlcpl_path_of(struct mlcpl_handle *h) { return path_of(h); }

size_t mlcpl_copy(void *dst, const void *src, size_t len)
{
	return guarded_copy(dst, src, len);
}

struct mlcpl_vdir *mlcpl_vdir_from_fd(int fd, struct mlcpl_handle *h)
{
	return vdir_from_fd(fd, h);
}

bool mlcpl_is_vdir(const void *dir) { return is_vdir(dir); }
struct dirent *mlcpl_vdir_read(struct mlcpl_vdir *d) { return vdir_read(d); }
struct dirent64 *mlcpl_vdir_read64(struct mlcpl_vdir *d) { return vdir_read64(d); }
void mlcpl_vdir_rewind(struct mlcpl_vdir *d) { vdir_rewind(d); }
int mlcpl_vdir_close(struct mlcpl_vdir *d) { return vdir_close(d); }
int mlcpl_vdir_fd(struct mlcpl_vdir *d) { return vdir_fd(d); }

void mlcpl_merge_open(const void *dir, uint64_t ino) { merge_open(dir, ino); }
bool mlcpl_merging(const void *dir) { return merge_of(dir) != nullptr; }
struct dirent *mlcpl_merge_next(const void *dir) { return merge_next(dir); }
struct dirent64 *mlcpl_merge_next64(const void *dir) { return merge_next64(dir); }
void mlcpl_merge_rewind(const void *dir) { merge_rewind(dir); }
void mlcpl_merge_close(const void *dir) { merge_close(dir); }

char *const *mlcpl_child_env(char *const envp[]) { return child_env(envp); }
bool mlcpl_borrowed_memory(void) { return borrowed_memory(); }

bool mlcpl_guards_signal(int sig) { return guards_signal(sig); }

int mlcpl_guarded_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	return guarded_sigaction(sig, act, old);
}

}  // extern "C"
