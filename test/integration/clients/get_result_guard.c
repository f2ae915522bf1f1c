// SPDX-License-Identifier: GPL-2.0
//
// A plain C client of /dev/mlcore (ABI.md: "IOCTL_GET_RESULT's number encodes
// size 8 ... the emulator must write exactly 4", "A bad user pointer (NULL,
// (void*)16) gives EFAULT ... and changes no state").
//
//   get_result_guard DEVICE VALUE
//
// Opens DEVICE, SET_RESULTs VALUE, GET_RESULTs into the int of a struct
// whose guard bytes around it are 0xAA and checks that exactly the int's 4
// bytes changed; then every data ioctl with NULL and (void *)16 must fail
// with EFAULT and leave the result as it was.  Prints one line per check;
// exits 0 only if every check passed.
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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

struct guarded {
	unsigned char before[8];
	int v;
	unsigned char after[8];
};

static int failures;

static void check(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	if (!ok)
		failures++;
}

static void expect_efault(int fd, unsigned long cmd, void *arg, const char *what)
{
	errno = 0;
	int r = ioctl(fd, cmd, arg);
	int err = errno;
	char line[160];
	snprintf(line, sizeof(line), "%s -> %d errno %d (%s), want -1 EFAULT",
		 what, r, err, strerror(err));
	check(r == -1 && err == EFAULT, line);
}

static int get_result(int fd, int *out)
{
	struct guarded g;
	memset(&g, 0xAA, sizeof(g));
	if (ioctl(fd, IOCTL_GET_RESULT, &g.v) != 0)
		return -1;
	*out = g.v;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s DEVICE VALUE\n", argv[0]);
		return 2;
	}
	int value = (int)strtol(argv[2], NULL, 0);
	char line[200];

	int fd = open(argv[1], O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("FAIL: open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}

	check(sizeof(struct guarded) == 20 &&
		      __builtin_offsetof(struct guarded, v) == 8,
	      "struct layout: before[8] | int v | after[8]");
	check(IOCTL_GET_RESULT == 0x80086802, "IOCTL_GET_RESULT is 0x80086802");

	check(ioctl(fd, IOCTL_SET_RESULT, &value) == 0, "SET_RESULT returns 0");

	struct guarded g, pristine;
	memset(&g, 0xAA, sizeof(g));
	memset(&pristine, 0xAA, sizeof(pristine));
	int r = ioctl(fd, IOCTL_GET_RESULT, &g.v);
	snprintf(line, sizeof(line), "GET_RESULT returns 0 (got %d, errno %d)", r,
		 r ? errno : 0);
	check(r == 0, line);

	const unsigned char *a = (const unsigned char *)&g;
	const unsigned char *b = (const unsigned char *)&pristine;
	int changed = 0, outside = 0;
	for (size_t i = 0; i < sizeof(g); i++) {
		if (a[i] != b[i]) {
			changed++;
			if (i < 8 || i >= 12)
				outside++;
		}
	}
	snprintf(line, sizeof(line), "GET_RESULT wrote %d bytes, %d outside the int "
		 "(want 4 and 0)", changed, outside);
	check(changed == 4 && outside == 0, line);
	check(memcmp(g.before, pristine.before, 8) == 0, "guard before intact");
	check(memcmp(g.after, pristine.after, 8) == 0, "guard after intact");
	snprintf(line, sizeof(line), "GET_RESULT value %d == %d", g.v, value);
	check(g.v == value, line);

	expect_efault(fd, IOCTL_GET_RESULT, NULL, "GET_RESULT(NULL)");
	expect_efault(fd, IOCTL_GET_RESULT, (void *)16, "GET_RESULT((void *)16)");
	expect_efault(fd, IOCTL_SET_RESULT, NULL, "SET_RESULT(NULL)");
	expect_efault(fd, IOCTL_SET_RESULT, (void *)16, "SET_RESULT((void *)16)");
	expect_efault(fd, IOCTL_SEND_INTS, NULL, "SEND_INTS(NULL)");
	expect_efault(fd, IOCTL_SEND_INTS, (void *)16, "SEND_INTS((void *)16)");
	expect_efault(fd, IOCTL_ADD_TRAINING, NULL, "ADD_TRAINING(NULL)");
	expect_efault(fd, IOCTL_ADD_TRAINING, (void *)16, "ADD_TRAINING((void *)16)");

	int after = 0;
	r = get_result(fd, &after);
	snprintf(line, sizeof(line), "result unchanged after the EFAULTs: %d == %d",
		 after, value);
	check(r == 0 && after == value, line);

	close(fd);
	printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
	return failures ? 1 : 0;
}
