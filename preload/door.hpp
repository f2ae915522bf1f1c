// SPDX-License-Identifier: GPL-2.0
//
// The preload door's C++ side, as its files share it: this process's
// handles on served open file descriptions and what each file of the door
// defines for the others.  The C library's entry points (interpose.c) see
// only door_api.h, whose functions door_api.cc defines over these.
//
// One job per file:
//   handles.cc                  a handle per description, instances, the fd array
//   path_lookup.cc              what dirfd + path names (the kernel's walk)
//   open_close_dup.cc           open(2) of a served node; close, dup, close_range
//   file_operations.cc          read/write/lseek/ioctl/mmap/poll/fcntl on a handle
//   directory_and_path_files.cc the file objects of directories and O_PATH
//   stat_and_access.cc          stat, statx and access of a served node
//   hostless_directories.cc     listing a served directory the host lacks
//   merged_directories.cc       the table's entries in a host directory's listing
//   child_environment.cc        LD_PRELOAD and the instance kept for children
//   process_start_exit.cc       start-up (inherited descriptors) and exit
//   door_api.cc                 the C API (door_api.h)
#pragma once

#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "emulator/file_table.hpp"
#include "emulator/instance.hpp"
#include "preload/door_api.h"
#include "preload/registry.hpp"
#include "preload/safe_memory.hpp"

namespace mlc::preload {

using Handle = ::mlcpl_handle;
using VDir = ::mlcpl_vdir;

// While the door itself runs: the C library calls it makes go straight
// through (door_api.h's mlcpl_in_door).
class InDoor {
public:
	InDoor()
	{
		mlcpl_in_door++;
	}
	~InDoor()
	{
		mlcpl_in_door--;
	}
	InDoor(const InDoor &) = delete;
	InDoor &operator=(const InDoor &) = delete;
};

inline Handle *served(int fd)
{
	return mlcpl_served(fd);
}

inline constexpr const char *kInstanceEnv = "MLCORE_EMU_INSTANCE";
inline constexpr const char *kSeedEnv = "MLCORE_EMU_SEED";
inline constexpr const char *kStateDirEnv = "MLCORE_EMU_STATE_DIR";
// Served descriptors are numbered below this (and below RLIMIT_NOFILE).
inline constexpr size_t kMaxFds = size_t{ 1 } << 20;
// st_ino of a served node: a fixed base plus its table inode.
inline constexpr ino_t kInoBase = 0x6d6c0000;

// A registry slot's description: a driver file, or none (O_PATH, a directory).
enum SlotKind : uint32_t { kKindFile = 0, kKindPath = 1 };

// One instance this process has served descriptors of.
struct InstanceCtx {
	std::string name;
	std::unique_ptr<Registry> reg;
	std::unique_ptr<Instance> inst; // attached on first use
	Handle *handles[kSlotCount] = {}; // this process's, by slot
};

} // namespace mlc::preload

// This process's view of one open file description.
struct mlcpl_handle {
	mlc::preload::InstanceCtx *ctx = nullptr;
	uint32_t slot = 0;
	uint64_t gen = 0;
	uint64_t ino = 0;
	const mlc::Node *node = nullptr;
	mlc::preload::SlotRecord *rec = nullptr;
	// O_PATH or a directory: file is its DirectoryFile or PathFile, made
	// with the handle, and answers every call at once (no lock; a directory
	// keeps its lseek position, per process).
	bool path_only = false;
	std::unique_ptr<mlc::OpenFile> file; // null until this process needs it
	bool ready = false; // file made (atomic accesses)
	bool has_state = false;
	uint64_t loaded_version = ~uint64_t{ 0 };
	int refs = 0; // descriptors of this process (under mu())
};

namespace mlc::preload {

// --- handles.cc ---------------------------------------------------------------

// The door's lock: the fd array's changes, the contexts, the listings.
// Made on first use and never destroyed.
std::mutex &mu();
const FileTable &table();
void warn(const std::string &msg);
std::string instance_name();
// This process's pid as of the last fork (process_start_exit.cc sets it).
extern pid_t g_pid;
// Whether this is a vfork()/CLONE_VM child in its parent's memory.
bool borrowed_memory();
// The context of an instance, opening its registry (mu() held).  Null with
// errno set when the registry cannot be opened.
InstanceCtx *ctx_named(const std::string &name, bool create);
// The current instance's context, its instance attached (mu() held).
int current_ctx(InstanceCtx **out);
// The OpenFile of h in this process, attaching one if needed.
int ensure_file(Handle *h);
// Runs the driver's release for slot i of c, which this process claimed.
void release_slot(InstanceCtx *c, uint32_t i, Handle *h);
// This process holds one descriptor less on h's description (mu() held).
void drop_ref(Handle *h);
// Descriptor fd names h now (null: nothing served) (mu() held).
void set_fd(int fd, Handle *h);
// A handle on slot of c; fileless: the DirectoryFile or PathFile open()
// made, if it did.
Handle *new_handle(InstanceCtx *c, uint32_t slot,
		   std::unique_ptr<OpenFile> fileless = nullptr);
// Whether the host's stat is one of our placeholders.
bool is_placeholder(const struct stat &st);

// One operation on a description: its lock held, its state loaded.
class OpScope {
public:
	explicit OpScope(Handle *h)
		: h_(h)
		, rec_(*h->rec)
		, guard_(rec_.lock, "an open file description")
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
	SlotRecord &rec()
	{
		return rec_;
	}

private:
	Handle *h_;
	SlotRecord &rec_;
	RobustLock guard_;
};

// --- path_lookup.cc -----------------------------------------------------------

// Names of every table entry (a path ending in another name is not ours).
void load_table_names();
mlcpl_lookup lookup(int dirfd, const char *path, int how);
// "/proc/self/fd/N" and friends, as written (no folding): readlink's case.
Handle *fd_link_path(const char *path);

// --- open_close_dup.cc ----------------------------------------------------------

int open_at(const mlcpl_lookup &l, int flags);
long close_fd(int fd);
void dup_done(int oldfd, int newfd);
void forget_range(unsigned lo, unsigned hi);

// --- file_operations.cc ---------------------------------------------------------

long read_fd(Handle *h, void *buf, size_t count);
long write_fd(Handle *h, const void *buf, size_t count);
long pread_fd(Handle *h, void *buf, size_t count, int64_t pos);
long pwrite_fd(Handle *h, const void *buf, size_t count, int64_t pos);
long readv_fd(Handle *h, const struct iovec *iov, int iovcnt, bool positional,
	      int64_t pos);
long writev_fd(Handle *h, const struct iovec *iov, int iovcnt, bool positional,
	       int64_t pos);
int64_t lseek_fd(Handle *h, int64_t off, int whence);
long ioctl_fd(int fd, Handle *h, unsigned long cmd_arg, unsigned long arg);
long mmap_fd(Handle *h, bool shared, bool prot_write, size_t len);
long getfl_fd(int fd, Handle *h);
unsigned int poll_fd(Handle *h);
long copy_file_range_fd(int in_fd, Handle *in, int out_fd, Handle *out,
			unsigned int flags);
long lock_fd(Handle *h, int cmd, unsigned long arg);
long flock_fd(Handle *h, int op);
const char *path_of(Handle *h);

// --- stat_and_access.cc ---------------------------------------------------------

void stat_node(uint64_t ino, struct stat *st);
void stat_handle(Handle *h, struct stat *st);
void stat_to_statx(const struct stat &st, struct statx *stx);
int access_node(uint64_t ino, int mode, bool effective);
// --- hostless_directories.cc ------------------------------------------------------

// A served node's d_type in a listing.
unsigned char dirent_type(const Node *n);

// The entry readdir()/readdir64() return a pointer to, kept with the
// listing (a host-less or merged one) until its next read, as libc's.
struct DirentSlots {
	union {
		struct dirent de;
		char de_space[sizeof(struct dirent) + 256];
	};
	union {
		struct dirent64 de64;
		char de64_space[sizeof(struct dirent64) + 256];
	};
};
VDir *vdir_from_fd(int fd, Handle *h);
bool is_vdir(const void *dir);
struct dirent *vdir_read(VDir *d);
struct dirent64 *vdir_read64(VDir *d);
void vdir_rewind(VDir *d);
int vdir_close(VDir *d);
int vdir_fd(VDir *d);

// --- merged_directories.cc ----------------------------------------------------------

void merge_open(const void *dir, uint64_t ino);
bool merging(const void *dir);
struct dirent *merge_next(const void *dir);
struct dirent64 *merge_next64(const void *dir);
void merge_rewind(const void *dir);
void merge_close(const void *dir);

// --- child_environment.cc ---------------------------------------------------------

// Filled in at start-up, so an exec in a vfork child allocates nothing.
void snapshot_env();
char *const *child_env(char *const envp[]);

// --- process_start_exit.cc --------------------------------------------------------

void door_init();
void door_exit();

} // namespace mlc::preload
