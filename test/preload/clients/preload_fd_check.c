// SPDX-License-Identifier: GPL-2.0
//
// A plain C client of the real paths, for what Python cannot easily reach
// through the preload door: stdio streams, bad pointers of every kind
// (NULL, (void *)16, an unmapped page, a buffer that runs into one), the
// fault guard's chaining to the program's own SIGSEGV handler, statx,
// poll/select, dup/dup2/dup3/F_DUPFD and fork.
//
//   preload_fd_check
//
// Run under `mlcore-emu run`.  Prints one line per check; exits 0 only if
// every check passed.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define IOCTL_SEND_INTS _IOW(104, 0, int[3])
#define IOCTL_SET_RESULT _IOW(104, 1, int)
#define IOCTL_GET_RESULT _IOR(104, 2, int *)
#define IOCTL_ADD_TRAINING _IOW(104, 3, struct train_entry)

struct train_entry {
	int features[3];
	int label;
};

static int failures;

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int ok, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%s: ", ok ? "ok" : "FAIL");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	if (!ok)
		failures++;
}

static int get_result(int fd)
{
	int v = 0;
	if (ioctl(fd, IOCTL_GET_RESULT, &v) != 0)
		return -12345;
	return v;
}

// Two pages, the second inaccessible: a buffer at its edge runs into it.
static unsigned char *edge_pages(void)
{
	unsigned char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		abort();
	mprotect(p + 4096, 4096, PROT_NONE);
	return p;
}

static void check_efault(int dev)
{
	int r;
	unsigned char *pages = edge_pages();
	void *unmapped = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(unmapped, 4096);

	check(ioctl(dev, IOCTL_SET_RESULT, &(int){4242}) == 0, "SET_RESULT 4242");
	errno = 0;
	r = ioctl(dev, IOCTL_GET_RESULT, unmapped);
	check(r == -1 && errno == EFAULT, "GET_RESULT(unmapped page) -> %d %s", r,
	      strerror(errno));
	errno = 0;
	r = ioctl(dev, IOCTL_GET_RESULT, pages + 4096);
	check(r == -1 && errno == EFAULT, "GET_RESULT(PROT_NONE page) -> EFAULT");
	errno = 0;
	r = ioctl(dev, IOCTL_SET_RESULT, unmapped);
	check(r == -1 && errno == EFAULT, "SET_RESULT(unmapped page) -> EFAULT");
	errno = 0;
	r = ioctl(dev, IOCTL_SEND_INTS, (void *)0xdead0000);
	check(r == -1 && errno == EFAULT, "SEND_INTS((void *)0xdead0000) -> EFAULT");
	errno = 0;
	r = ioctl(dev, IOCTL_GET_RESULT, (void *)0xffff800000000000ULL);
	check(r == -1 && errno == EFAULT, "GET_RESULT(kernel address) -> EFAULT");

	// ABI.md: a GET_RESULT buffer that runs into an unmapped page gets
	// EFAULT after the accessible bytes were written.
	memset(pages + 4094, 0xAA, 2);
	errno = 0;
	r = ioctl(dev, IOCTL_GET_RESULT, pages + 4094);
	check(r == -1 && errno == EFAULT && pages[4094] == (4242 & 0xff) &&
		      pages[4095] == ((4242 >> 8) & 0xff),
	      "GET_RESULT across a page edge: EFAULT after the 2 accessible "
	      "bytes (%02x %02x)", pages[4094], pages[4095]);
	// SET_RESULT, SEND_INTS, ADD_TRAINING across a page edge: EFAULT, no
	// state change.
	memcpy(pages + 4094, "\x01\x02", 2);
	errno = 0;
	r = ioctl(dev, IOCTL_SET_RESULT, pages + 4094);
	check(r == -1 && errno == EFAULT, "SET_RESULT across a page edge -> EFAULT");
	errno = 0;
	r = ioctl(dev, IOCTL_ADD_TRAINING, pages + 4096 - 8);
	check(r == -1 && errno == EFAULT, "ADD_TRAINING across a page edge -> EFAULT");
	check(get_result(dev) == 4242, "result unchanged by the EFAULTs (%d)",
	      get_result(dev));

	// The VFS's own ioctls read their int argument too.
	errno = 0;
	r = ioctl(dev, FIONBIO, unmapped);
	check(r == -1 && errno == EFAULT, "FIONBIO(unmapped) -> EFAULT");
	errno = 0;
	r = ioctl(dev, FIOASYNC, NULL);
	check(r == -1 && errno == EFAULT, "FIOASYNC(NULL) -> EFAULT");

	// Data and identity calls with bad buffers.
	int proc = open("/proc/mlcore_result", O_RDONLY);
	errno = 0;
	ssize_t n = read(proc, unmapped, 100);
	check(n == -1 && errno == EFAULT, "read(proc, unmapped) -> EFAULT");
	n = read(proc, pages + 4096 - 10, 100);
	check(n == 10, "read(proc) into 10 accessible bytes -> %zd (a short read)", n);
	close(proc);
	errno = 0;
	r = fstat(dev, unmapped);
	check(r == -1 && errno == EFAULT, "fstat(dev, unmapped) -> EFAULT");
	errno = 0;
	r = stat("/dev/mlcore", (struct stat *)(pages + 4000));
	check(r == -1 && errno == EFAULT, "stat(/dev/mlcore, edge) -> EFAULT");
	munmap(pages, 8192);
}

static sigjmp_buf g_jump;
static volatile int g_handler_ran;

static void own_handler(int sig)
{
	(void)sig;
	g_handler_ran = 1;
	siglongjmp(g_jump, 1);
}

// The program's own SIGSEGV handler still runs for its own faults, and
// sigaction() reports it back, after the door installed its guard.
static void check_signal_chaining(int dev)
{
	struct sigaction act, old;
	memset(&act, 0, sizeof(act));
	act.sa_handler = own_handler;
	sigemptyset(&act.sa_mask);
	check(sigaction(SIGSEGV, &act, NULL) == 0, "install own SIGSEGV handler");
	check(sigaction(SIGSEGV, NULL, &old) == 0 && old.sa_handler == own_handler,
	      "sigaction reports the program's handler");
	errno = 0;
	int r = ioctl(dev, IOCTL_GET_RESULT, (void *)0xdead0000);
	check(r == -1 && errno == EFAULT && !g_handler_ran,
	      "a served bad pointer is EFAULT, the program's handler not called");
	if (sigsetjmp(g_jump, 1) == 0) {
		volatile int *p = (volatile int *)0xdead0000;
		*p = 1;
		check(0, "a fault of the program's own was not delivered");
	}
	check(g_handler_ran, "the program's own fault reached its handler");
	signal(SIGSEGV, SIG_DFL);

	// With no handler, a fault of the program's own still kills it.
	pid_t pid = fork();
	if (pid == 0) {
		volatile int *p = (volatile int *)0xdead0000;
		*p = 1;
		_exit(0);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	check(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
	      "a program's own fault without a handler: killed by SIGSEGV");
}

static void check_stdio(void)
{
	FILE *f = fopen("/proc/mlcore_result", "r");
	check(f != NULL, "fopen(/proc/mlcore_result)");
	if (!f)
		return;
	char line[256];
	check(fgets(line, sizeof(line), f) && !strcmp(line, "Current Prediction: 4242\n"),
	      "fgets: first line");
	check(fgets(line, sizeof(line), f) &&
		      !strncmp(line, "Prediction History (latest ", 27),
	      "fgets: second line");
	int fd = fileno(f);
	struct stat st;
	check(fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		      (st.st_mode & 07777) == 0444,
	      "fileno() of the stream is the served descriptor (fd %d)", fd);
	rewind(f);
	check(fgets(line, sizeof(line), f) && !strcmp(line, "Current Prediction: 4242\n"),
	      "rewind + fgets");
	check(fclose(f) == 0, "fclose");
	check(fcntl(fd, F_GETFD) == -1 && errno == EBADF, "fclose closed the descriptor");

	FILE *d = fopen("/dev/mlcore", "r+e");
	check(d != NULL, "fopen(/dev/mlcore, r+e)");
	if (d) {
		int v = 0;
		check(ioctl(fileno(d), IOCTL_GET_RESULT, &v) == 0 && v == 4242,
		      "ioctl on fileno() of a device stream");
		check(fcntl(fileno(d), F_GETFD) == FD_CLOEXEC, "'e' is O_CLOEXEC");
		check(fgetc(d) == EOF && ferror(d) && errno == EINVAL,
		      "reading the device stream: EINVAL (no read handler)");
		fclose(d);
	}
	errno = 0;
	check(fopen("/proc/mlcore_train", "w") != NULL || errno == EACCES,
	      "fopen(proc, w): root may, others EACCES");
	FILE *g = fdopen(open("/proc/mlcore_train", O_RDONLY), "r");
	check(g != NULL && fgetc(g) == EOF && !ferror(g), "fdopen of an empty proc file");
	if (g)
		fclose(g);
}

static void check_identity(int dev)
{
	struct stat st;
	check(stat("/dev/mlcore", &st) == 0 && S_ISCHR(st.st_mode) &&
		      (st.st_mode & 07777) == 0666 && major(st.st_rdev) == 104 &&
		      minor(st.st_rdev) == 0 && st.st_uid == 0 && st.st_size == 0,
	      "stat(/dev/mlcore): character device 104:0, 0666, root");
	struct stat fst;
	check(fstat(dev, &fst) == 0 && fst.st_ino == st.st_ino &&
		      fst.st_rdev == st.st_rdev,
	      "fstat agrees with stat");
	struct statx stx;
	check(statx(AT_FDCWD, "/dev/mlcore", 0, STATX_BASIC_STATS, &stx) == 0 &&
		      S_ISCHR(stx.stx_mode) && stx.stx_rdev_major == 104 &&
		      stx.stx_rdev_minor == 0,
	      "statx(/dev/mlcore)");
	check(statx(dev, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) == 0 &&
		      S_ISCHR(stx.stx_mode),
	      "statx(fd, \"\", AT_EMPTY_PATH)");
	check(fstatat(dev, "", &fst, AT_EMPTY_PATH) == 0 && S_ISCHR(fst.st_mode),
	      "fstatat(fd, \"\", AT_EMPTY_PATH)");
	check(stat("/proc/mlcore_result", &st) == 0 && S_ISREG(st.st_mode) &&
		      (st.st_mode & 07777) == 0444 && st.st_size == 0,
	      "stat(/proc/mlcore_result): regular 0444, size 0");
	check(access("/dev/mlcore", R_OK | W_OK) == 0, "access(/dev/mlcore, R_OK|W_OK)");
	check(access("/dev/mlcore", X_OK) == -1 && errno == EACCES,
	      "access(/dev/mlcore, X_OK): EACCES");
	check(faccessat(AT_FDCWD, "/proc/mlcore_result", R_OK, AT_EACCESS) == 0,
	      "faccessat(proc, R_OK, AT_EACCESS)");
	char buf[64] = {0}, link[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", dev);
	ssize_t n = readlink(link, buf, sizeof(buf) - 1);
	check(n == 11 && !strcmp(buf, "/dev/mlcore"), "readlink(%s) = %s", link, buf);
	errno = 0;
	check(readlink("/dev/mlcore", buf, sizeof(buf)) == -1 && errno == EINVAL,
	      "readlink(/dev/mlcore): EINVAL (not a symlink)");
}

static void check_fds(int dev)
{
	int d = dup(dev);
	check(d >= 0 && get_result(d) == 4242, "dup: ioctl through the copy");
	int d2 = dup2(dev, 50);
	check(d2 == 50 && get_result(50) == 4242, "dup2 to 50");
	int d3 = dup3(dev, 51, O_CLOEXEC);
	check(d3 == 51 && fcntl(51, F_GETFD) == FD_CLOEXEC && fcntl(dev, F_GETFD) == 0,
	      "dup3(O_CLOEXEC): only the copy is close-on-exec");
	int d4 = fcntl(dev, F_DUPFD_CLOEXEC, 60);
	check(d4 >= 60 && get_result(d4) == 4242, "F_DUPFD_CLOEXEC");
	// dup2 of a plain file over a served descriptor: it is no longer served.
	int null = open("/dev/null", O_RDONLY);
	dup2(null, 50);
	errno = 0;
	check(ioctl(50, IOCTL_GET_RESULT, &(int){0}) == -1 && errno == ENOTTY,
	      "dup2(/dev/null, served 50): 50 is /dev/null now (ENOTTY)");
	close(null);
	close(50);
	close(51);
	close(d4);
	close(d);
	check(get_result(dev) == 4242, "the original still works after its copies closed");

	// poll and select: a device without a poll handler is always ready.
	struct pollfd p[2] = {{dev, POLLIN | POLLOUT, 0}, {-1, POLLIN, 0}};
	int pipefd[2];
	pipe(pipefd);
	p[1].fd = pipefd[0];
	int r = poll(p, 2, 1000);
	check(r == 1 && p[0].revents == (POLLIN | POLLOUT) && p[1].revents == 0 &&
		      p[0].fd == dev,
	      "poll: the device is readable and writable, the empty pipe not (%d %x %x)",
	      r, p[0].revents, p[1].revents);
	fd_set rd, wr;
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(dev, &rd);
	FD_SET(dev, &wr);
	FD_SET(pipefd[0], &rd);
	struct timeval tv = {1, 0};
	r = select((dev > pipefd[0] ? dev : pipefd[0]) + 1, &rd, &wr, NULL, &tv);
	check(r == 2 && FD_ISSET(dev, &rd) && FD_ISSET(dev, &wr) && !FD_ISSET(pipefd[0], &rd),
	      "select: the device in both sets, the pipe not (%d)", r);
	close(pipefd[0]);
	close(pipefd[1]);

	// fork: the child shares the description, and its offset.
	int proc = open("/proc/mlcore_result", O_RDONLY);
	char a[8], b[8], c[8];
	read(proc, a, 8);
	pid_t pid = fork();
	if (pid == 0) {
		_exit(read(proc, b, 8) == 8 ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	read(proc, c, 8);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0 && !memcmp(a, "Current ", 8) &&
		      !memcmp(c, "on: 4242", 8),
	      "fork: the child's read moved the parent's offset (%.8s|%.8s)", a, c);
	close(proc);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	int dev = open("/dev/mlcore", O_RDWR);
	if (dev < 0) {
		printf("FAIL: open /dev/mlcore: %s\n", strerror(errno));
		return 1;
	}
	check_efault(dev);
	check_stdio();
	check_identity(dev);
	check_fds(dev);
	check_signal_chaining(dev);
	close(dev);
	printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
	return failures ? 1 : 0;
}
