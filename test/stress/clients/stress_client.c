// SPDX-License-Identifier: GPL-2.0
//
// The stress tests' writer: a loop of mixed operations on one instance,
// through whichever door serves PREFIX ("" = the real paths, under `mlcore-emu
// run`; a FUSE root otherwise), counting every operation the instance
// acknowledged in a slot of a shared counter file, so a test can compare the
// instance's counters with what its clients saw even after kill -9.
//
//   stress_client PREFIX ID ITERATIONS ACKFILE SLOT [FLAGS]
//
// ITERATIONS 0 = forever (until killed, or until the file named by the
// environment's MLC_STRESS_STOP exists: checked every 16 iterations).  FLAGS: a string of letters:
//   e  ENOTCONN/ECONNABORTED end the loop with exit 3 (the server was killed)
//   r  print "ready\n" on stdout after the first iteration
//
// Iteration i (n = the client's SET_RESULT count so far, ID in 1..20000, n < 100000):
//   SET_RESULT ID*100000+n; GET_RESULT (the value must be one a client of
//   this test sets, or -1); ADD_TRAINING {ID*100, i, 700} => ID; then
//   CLEAR_TRAINING when i % 16 == 15, SEND_INTS otherwise; when i % 4 == 3
//   open /dev/mllibdev, pread 64 bytes at 0, pwrite 16 bytes at 0, close;
//   when i % 16 == 7 write "step 1\n" to the loop's control.
// Each acknowledged operation bumps its counter after the call returned
// (an operation in flight when the process dies is not counted: the
// instance may or may not have done it; it is never done twice).
// Any other failure: one line on stderr, exit 1.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define IOCTL_SEND_INTS _IOW(104, 0, int[3])
#define IOCTL_SET_RESULT _IOW(104, 1, int)
#define IOCTL_GET_RESULT _IOR(104, 2, int *)
#define IOCTL_ADD_TRAINING _IOW(104, 3, struct train_entry)
#define IOCTL_CLEAR_TRAINING _IO(104, 4)

struct train_entry {
	int features[3];
	int label;
};

// One slot of the counter file (the test reads it as 16 little-endian u64).
enum {
	C_SET, C_GET, C_ADD, C_CLEAR, C_SEND, C_ML_OPEN, C_ML_READ, C_ML_WRITE,
	C_ML_CLOSE, C_STEP, C_OPS, C_ITER, C_DONE, C_NSLOT = 16
};

static volatile uint64_t *ack;
static int tolerate_enotconn;
static const char *prefix;

static void die(const char *what, int err)
{
	if (tolerate_enotconn && (err == ENOTCONN || err == ECONNABORTED))
		exit(3);
	fprintf(stderr, "stress_client[%d]: %s: %s\n", (int)getpid(), what,
		strerror(err));
	exit(1);
}

static void bump(int c)
{
	ack[c]++;
	if (c != C_ITER && c != C_DONE)
		ack[C_OPS]++;
}

static int open_path(const char *rel, int flags)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s%s", prefix, rel);
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		die(rel, errno);
	return fd;
}

static void ml_lib_round(void)
{
	char buf[64];
	int fd = open_path("/dev/mllibdev", O_RDWR);
	ssize_t n;

	bump(C_ML_OPEN);
	n = pread(fd, buf, sizeof(buf), 0);
	if (n < 0)
		die("pread /dev/mllibdev", errno);
	bump(C_ML_READ);
	n = pwrite(fd, buf, 16, 0);
	if (n != 16)
		die("pwrite /dev/mllibdev", n < 0 ? errno : EIO);
	bump(C_ML_WRITE);
	if (close(fd) != 0)
		die("close /dev/mllibdev", errno);
	bump(C_ML_CLOSE);
}

static void step_round(void)
{
	static const char cmd[] = "step 1\n";
	int fd = open_path("/sys/class/ml_lib_loop/mlloop/ml_readahead/control",
			   O_WRONLY);
	ssize_t n = write(fd, cmd, sizeof(cmd) - 1);

	if (n != (ssize_t)sizeof(cmd) - 1)
		die("write step", n < 0 ? errno : EIO);
	bump(C_STEP);
	close(fd);
}

int main(int argc, char **argv)
{
	const char *stopfile;
	long id, iterations;
	int slot, fd, ackfd;
	uint64_t i;

	if (argc < 6) {
		fprintf(stderr, "usage: stress_client PREFIX ID ITERATIONS ACKFILE SLOT [FLAGS]\n");
		return 2;
	}
	prefix = argv[1];
	id = strtol(argv[2], NULL, 10);
	iterations = strtol(argv[3], NULL, 10);
	slot = atoi(argv[5]);
	if (id < 1 || id > 20000 || iterations < 0 || slot < 0) {
		fprintf(stderr, "stress_client: bad arguments\n");
		return 2;
	}
	tolerate_enotconn = argc > 6 && strchr(argv[6], 'e');
	ackfd = open(argv[4], O_RDWR | O_CLOEXEC);
	if (ackfd < 0)
		die(argv[4], errno);
	ack = mmap(NULL, (size_t)(slot + 1) * C_NSLOT * 8, PROT_READ | PROT_WRITE,
		   MAP_SHARED, ackfd, 0);
	if (ack == MAP_FAILED)
		die("mmap", errno);
	ack += (size_t)slot * C_NSLOT;

	stopfile = getenv("MLC_STRESS_STOP");
	fd = open_path("/dev/mlcore", O_RDWR);
	for (i = 0; iterations == 0 || i < (uint64_t)iterations; i++) {
		if (stopfile && i % 16 == 0 && access(stopfile, F_OK) == 0)
			break;
		int v = (int)(id * 100000 + (long)ack[C_SET]), got = 0;
		int ints[3] = { (int)id, (int)i, -7 };
		struct train_entry e = { { (int)id * 100, (int)i, 700 }, (int)id };

		if (ioctl(fd, IOCTL_SET_RESULT, &v) != 0)
			die("SET_RESULT", errno);
		bump(C_SET);
		if (ioctl(fd, IOCTL_GET_RESULT, &got) != 0)
			die("GET_RESULT", errno);
		bump(C_GET);
		if (got != -1 && (got < 100000 || got / 100000 > 20000)) {
			fprintf(stderr, "stress_client[%d]: GET_RESULT gave %d\n",
				(int)getpid(), got);
			exit(1);
		}
		if (ioctl(fd, IOCTL_ADD_TRAINING, &e) != 0)
			die("ADD_TRAINING", errno);
		bump(C_ADD);
		if (i % 16 == 15) {
			if (ioctl(fd, IOCTL_CLEAR_TRAINING) != 0)
				die("CLEAR_TRAINING", errno);
			bump(C_CLEAR);
		} else {
			if (ioctl(fd, IOCTL_SEND_INTS, ints) != 0)
				die("SEND_INTS", errno);
			bump(C_SEND);
		}
		if (i % 4 == 3)
			ml_lib_round();
		if (i % 16 == 7)
			step_round();
		bump(C_ITER);
		if (i == 0 && argc > 6 && strchr(argv[6], 'r')) {
			printf("ready\n");
			fflush(stdout);
		}
	}
	close(fd);
	ack[C_DONE] = 1;
	return 0;
}
