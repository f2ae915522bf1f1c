// SPDX-License-Identifier: GPL-2.0
//
// mlc-bench-preload: the latency of one ioctl through the preload door
// (IOCTL_GET_RESULT on /dev/mlcore, served in-process from shared memory)
// next to the kernel's own ioctl syscall on /dev/null, in one run, and
// their ratio.  The door's target is at most 1.0x: no system call on the
// served path (an uncontended robust mutex, a guarded 4-byte copy).
//
//   mlc-bench-preload [--iterations N] [--rounds R]
//
// Not under `mlcore-emu run`, it re-runs itself under `mlcore-emu run
// --rm` (a fresh instance bench-preload-PID, removed when it ends), so it
// always measures the door and leaves nothing in /dev/shm.  Each figure is the
// best round's mean (the least disturbed by the rest of the machine).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define IOCTL_GET_RESULT _IOR(104, 2, int *)

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);	// the vDSO: no system call
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

enum op { GET_RESULT, FIOCLEX_LIBC, FIOCLEX_RAW, FIONREAD_RAW, GETPPID_RAW };

static int dev, null_fd;

static void run(enum op op, long n)
{
	int v;
	switch (op) {
	case GET_RESULT:
		for (long i = 0; i < n; i++)
			if (ioctl(dev, IOCTL_GET_RESULT, &v) != 0)
				abort();
		break;
	case FIOCLEX_LIBC:
		for (long i = 0; i < n; i++)
			if (ioctl(null_fd, FIOCLEX) != 0)
				abort();
		break;
	case FIOCLEX_RAW:
		for (long i = 0; i < n; i++)
			if (syscall(SYS_ioctl, null_fd, FIOCLEX) != 0)
				abort();
		break;
	case FIONREAD_RAW:
		for (long i = 0; i < n; i++)
			syscall(SYS_ioctl, null_fd, FIONREAD, &v);	// ENOTTY
		break;
	case GETPPID_RAW:
		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
		break;
	}
}

// The best round's nanoseconds per call.
static double measure(enum op op, long n, int rounds)
{
	run(op, n / 10 + 1);	// warm up
	double best = 1e30;
	for (int r = 0; r < rounds; r++) {
		double t0 = now_ns();
		run(op, n);
		double ns = (now_ns() - t0) / (double)n;
		if (ns < best)
			best = ns;
	}
	return best;
}

static void rerun_under_emu(char **argv)
{
	const char *emu = getenv("MLCORE_EMU");
#ifdef MLC_EMU_PATH
	if (!emu || !*emu)
		emu = MLC_EMU_PATH;
#endif
	if (!emu || !*emu) {
		fprintf(stderr, "mlc-bench-preload: run me under `mlcore-emu run` "
				"(or set MLCORE_EMU)\n");
		exit(2);
	}
	// A fresh instance of its own, removed when the run ends (run --rm).
	static char instance[64];
	snprintf(instance, sizeof(instance), "bench-preload-%d", (int)getpid());
	int argc = 0;
	while (argv[argc])
		argc++;
	char **args = calloc((size_t)argc + 7, sizeof(char *));
	int k = 0;
	args[k++] = (char *)emu;
	args[k++] = "run";
	args[k++] = "--rm";
	args[k++] = "--instance";
	args[k++] = instance;
	args[k++] = "--";
	for (int i = 0; i < argc; i++)
		args[k++] = argv[i];
	execv(emu, args);
	fprintf(stderr, "mlc-bench-preload: cannot run %s: %s\n", emu, strerror(errno));
	exit(2);
}

int main(int argc, char **argv)
{
	long n = 2000000;
	int rounds = 7;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--iterations") && i + 1 < argc)
			n = atol(argv[++i]);
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: %s [--iterations N] [--rounds R]\n", argv[0]);
			return 2;
		}
	}
	if (n < 1 || rounds < 1)
		return 2;
	if (!getenv("MLCORE_EMU_INSTANCE"))
		rerun_under_emu(argv);

	dev = open("/dev/mlcore", O_RDWR | O_CLOEXEC);
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (dev < 0 || null_fd < 0) {
		perror("mlc-bench-preload: open");
		return 1;
	}
	int v = 0;
	// Served, not the kernel's: the real /dev/mlcore does not exist here,
	// and a kernel file would not answer GET_RESULT.
	if (ioctl(dev, IOCTL_GET_RESULT, &v) != 0) {
		perror("mlc-bench-preload: GET_RESULT on /dev/mlcore (not served?)");
		return 1;
	}

	double door = measure(GET_RESULT, n, rounds);
	double libc = measure(FIOCLEX_LIBC, n, rounds);
	double raw = measure(FIOCLEX_RAW, n, rounds);
	double enotty = measure(FIONREAD_RAW, n, rounds);
	double floor_ns = measure(GETPPID_RAW, n, rounds);

	printf("mlc-bench-preload: %ld calls x %d rounds, best round, ns per call\n",
	       n, rounds);
	printf("  preload door  ioctl(/dev/mlcore, GET_RESULT)       %8.1f ns\n", door);
	printf("  kernel        ioctl(/dev/null, FIOCLEX)  syscall() %8.1f ns\n", raw);
	printf("  kernel        ioctl(/dev/null, FIOCLEX)  libc      %8.1f ns"
	       "  (through the door's pass-through)\n", libc);
	printf("  kernel        ioctl(/dev/null, FIONREAD) syscall() %8.1f ns"
	       "  (ENOTTY)\n", enotty);
	printf("  kernel        getppid()                  syscall() %8.1f ns"
	       "  (the cheapest system call)\n", floor_ns);
	printf("  ratio door / kernel ioctl: %.2fx (target <= 1.00x: %s)\n",
	       door / raw, door <= raw ? "met" : "NOT met");
	return 0;
}
