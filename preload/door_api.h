/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The preload door: serves the file table at the real paths (/dev/mlcore,
 * /proc/mlcore_result, /sys/..., /var/log/mlcore.log) inside the process,
 * from the instance's shared memory, with no daemon and no privileges.
 *
 * It moves bytes and errno values between the C library's entry points
 * (interpose.c) and the table, and decides nothing: every answer comes from
 * a table node, its OpenFile, or the core's VFS model (src/core/vfs_model.h).
 *
 * A served descriptor is a real kernel descriptor (a placeholder, see
 * registry.hpp), so the kernel itself does dup, fork, exec, close-on-exec,
 * the fcntl flags and the descriptor numbers; the door intercepts only what
 * touches the file's data and identity: read/write/ioctl/lseek/mmap/stat/
 * poll.  Finding a descriptor's handle is one array load; a served ioctl
 * makes no system call.
 *
 * C linkage: interpose.c defines the C library's names with the C
 * library's own prototypes, which C++ cannot restate.  Every function
 * returns a result or -errno unless said otherwise.
 */
#ifndef MLC_PRELOAD_DOOR_API_H
#define MLC_PRELOAD_DOOR_API_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct statx;
struct mlcpl_handle; /* this process's view of one served description */
struct mlcpl_vdir; /* a listing of a directory the host lacks */

/* Every served descriptor's handle, indexed by descriptor. */
extern struct mlcpl_handle **mlcpl_fds;
extern size_t mlcpl_fd_cap;
/* The highest descriptor ever served (-1: none yet). */
extern int mlcpl_fd_high;

/* The handle of fd, or NULL when fd is not a served file. */
static inline struct mlcpl_handle *mlcpl_served(int fd)
{
	if ((size_t)fd >= mlcpl_fd_cap)
		return (struct mlcpl_handle *)0;
	return __atomic_load_n(&mlcpl_fds[fd], __ATOMIC_ACQUIRE);
}

/* Non-zero while the door itself runs: the C library calls it makes
 * (Boost opening the segment, the log file) go straight through. */
extern __thread int mlcpl_in_door __attribute__((tls_model("initial-exec")));

/* Once per process, before main (and harmlessly again on first use). */
void mlcpl_init(void);
/* At exit(): descriptors still open are closed, so the last holder of a
 * description runs its release now, as the kernel does at exit. */
void mlcpl_exit(void);

/* --- paths ------------------------------------------------------------- */
enum mlcpl_kind { MLCPL_PASS, MLCPL_ERROR, MLCPL_FILE, MLCPL_DIR };
struct mlcpl_lookup {
	int kind; /* MLCPL_PASS: not ours, the C library does it */
	int err; /* MLCPL_ERROR: the errno */
	/* The table inode (MLCPL_FILE, MLCPL_DIR); with MLCPL_PASS, non-zero
	 * for a host directory the table also has (/dev, /proc): its listing
	 * gains the table's entries the host lacks. */
	uint64_t ino;
	/* MLCPL_PASS: the path to give the C library: the caller's, or (when
	 * the walk went through the table, "/sys/class/ml_lib_test/..") the
	 * host path it leads to, in a per-thread buffer. */
	const char *path;
};
/* how: the last component is not followed when it is a symlink (lstat,
 * O_NOFOLLOW, AT_SYMLINK_NOFOLLOW, readlink, l*xattr). */
#define MLCPL_NOFOLLOW 1
/* The caller asks the host first: a path the door would not walk first
 * (its last name is no table name, number, "." or "..") passes at once. */
#define MLCPL_HOST_FIRST 2
/* The host just failed on it (errno ENOENT or ENOTDIR), or reached a
 * placeholder (errno 0): walk it unless it was walked first. */
#define MLCPL_HOST_FAILED 4
/* What dirfd + path names, by the kernel's walk (src/emulator/path_walk.hpp):
 * relative paths and dirfds, ".", "..", host symlinks (through the real C
 * library) and /proc/self/fd/N of served descriptors followed, a trailing
 * slash requiring a directory. */
struct mlcpl_lookup mlcpl_lookup_path(int dirfd, const char *path, int how);
/* Whether a stat the host gave is one of the door's placeholders (the host
 * followed a symlink to /proc/self/fd/N of a served descriptor). */
bool mlcpl_is_placeholder(const struct stat *st);
/* open(2) of a looked-up path: a descriptor or -errno. */
int mlcpl_open(int dirfd, const char *path, const struct mlcpl_lookup *l,
	       int flags);
/* The handle "/proc/self/fd/N" (or /proc/PID/fd/N, /dev/fd/N) names. */
struct mlcpl_handle *mlcpl_fd_link(const char *path);

/* --- descriptors (fd served) ------------------------------------------- */
long mlcpl_close(int fd);
/* After dup/dup2/dup3/F_DUPFD: newfd names what oldfd names (served or
 * not); a served description newfd named before is let go. */
void mlcpl_dup_done(int oldfd, int newfd);
/* The kernel closed [lo, hi] by itself (close_range, closefrom). */
void mlcpl_forget_range(unsigned int lo, unsigned int hi);

long mlcpl_read(struct mlcpl_handle *h, void *buf, size_t count);
long mlcpl_write(struct mlcpl_handle *h, const void *buf, size_t count);
long mlcpl_pread(struct mlcpl_handle *h, void *buf, size_t count, int64_t pos);
long mlcpl_pwrite(struct mlcpl_handle *h, const void *buf, size_t count,
		  int64_t pos);
/* readv/writev; positional: preadv/pwritev at pos. */
long mlcpl_readv(struct mlcpl_handle *h, const struct iovec *iov, int iovcnt,
		 bool positional, int64_t pos);
long mlcpl_writev(struct mlcpl_handle *h, const struct iovec *iov, int iovcnt,
		  bool positional, int64_t pos);
int64_t mlcpl_lseek(struct mlcpl_handle *h, int64_t off, int whence);
long mlcpl_ioctl(int fd, struct mlcpl_handle *h, unsigned long cmd,
		 unsigned long arg);
/* mmap(2): the VFS's checks, then the file's answer (never a mapping). */
long mlcpl_mmap(struct mlcpl_handle *h, bool shared, bool prot_write,
		size_t len);
/* fcntl(F_GETFL): the kernel's flags with the program's access mode. */
long mlcpl_getfl(int fd, struct mlcpl_handle *h);
/* The poll mask (POLLIN ...) the file reports now. */
unsigned int mlcpl_poll(struct mlcpl_handle *h);
bool mlcpl_is_dir(struct mlcpl_handle *h);
/* copy_file_range(2)/splice(2) with a served file on one side or both
 * (the other NULL, its descriptor the host's): the VFS's answer, never a
 * copy. */
long mlcpl_copy_file_range(int in_fd, struct mlcpl_handle *in, int out_fd,
			   struct mlcpl_handle *out, unsigned int flags);
long mlcpl_splice(struct mlcpl_handle *in, struct mlcpl_handle *out);
/* fcntl(2)'s record-lock commands and flock(2) on a served file. */
bool mlcpl_is_lock_cmd(int cmd);
long mlcpl_lock(struct mlcpl_handle *h, int cmd, unsigned long arg);
long mlcpl_flock(struct mlcpl_handle *h, int op);
/* An extended-attribute call on a served node (the table keeps none). */
enum { MLCPL_XATTR_GET, MLCPL_XATTR_LIST, MLCPL_XATTR_SET };
long mlcpl_xattr(int op);

/* --- identity ------------------------------------------------------------ */
void mlcpl_stat_handle(struct mlcpl_handle *h, struct stat *st);
void mlcpl_stat_node(uint64_t ino, struct stat *st);
void mlcpl_stat_to_statx(const struct stat *st, struct statx *stx);
/* access(2): effective uses the effective ids (AT_EACCESS). */
int mlcpl_access(uint64_t ino, int mode, bool effective);
/* readlink(2) of a served node (never a symlink). */
long mlcpl_readlink_node(uint64_t ino);
/* The absolute path the description was opened with. */
const char *mlcpl_path_of(struct mlcpl_handle *h);

/* Copies len bytes from or to the program's memory; returns the bytes NOT
 * copied (a bad pointer never crashes). */
size_t mlcpl_copy(void *dst, const void *src, size_t len);

/* --- directories the host lacks (/sys/class/ml_lib_test/...) ----------- */
struct mlcpl_vdir *mlcpl_vdir_from_fd(int fd, struct mlcpl_handle *h);
bool mlcpl_is_vdir(const void *dir);
struct dirent *mlcpl_vdir_read(struct mlcpl_vdir *d);
struct dirent64 *mlcpl_vdir_read64(struct mlcpl_vdir *d);
void mlcpl_vdir_rewind(struct mlcpl_vdir *d);
int mlcpl_vdir_close(struct mlcpl_vdir *d);
int mlcpl_vdir_fd(struct mlcpl_vdir *d);

/* Listing a host directory the table also has: opendir() registers the
 * stream, and once the host's entries are exhausted readdir() returns the
 * table's entries the host lacks (/dev/mlcore in `ls /dev`). */
void mlcpl_merge_open(const void *dir, uint64_t ino);
bool mlcpl_merging(const void *dir);
struct dirent *mlcpl_merge_next(const void *dir);
struct dirent64 *mlcpl_merge_next64(const void *dir);
void mlcpl_merge_rewind(const void *dir);
void mlcpl_merge_close(const void *dir);

/* Whether this is a vfork()/CLONE_VM child running in its parent's memory
 * until it execs: nothing the parent owns may change then. */
bool mlcpl_borrowed_memory(void);

/* --- children ------------------------------------------------------------ */
/* envp with LD_PRELOAD and the instance's variables put back if the
 * program dropped them.  Allocates nothing in the usual case (safe in a
 * vfork child). */
char *const *mlcpl_child_env(char *const envp[]);

/* --- the SIGSEGV/SIGBUS guard of copies (safe_memory.hpp) ---------------- */
bool mlcpl_guards_signal(int sig);
int mlcpl_guarded_sigaction(int sig, const struct sigaction *act,
			    struct sigaction *old);

#ifdef __cplusplus
}
#endif

#endif /* MLC_PRELOAD_DOOR_API_H */
