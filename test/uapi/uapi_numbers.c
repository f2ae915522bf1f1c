/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uapi_numbers [ABI.md]: prints each ioctl number the UAPI headers define,
 * in hex and decoded, next to the number in the spec's table
 * (/work/shared/spec/ABI.md, copied below), and fails on any difference.
 *
 * The headers' own compile-time assertions are switched off here on
 * purpose: if the numbering drifted (a header typo, or <linux/ioctl.h>
 * encoding differently on some build host), the other TUs would stop the
 * build with one message; this program still builds and shows every
 * number side by side, so the drift can be read off.
 *
 * With a path to ABI.md it also checks that the spec still says what the
 * table below says: each name must be followed, within a line or two, by
 * its number.
 */
#define _UAPI_MLC_ABI_ASSERT_H
#define MLC_ABI_ASSERT(cond, what) extern int uapi_numbers_assert_off
#include "uapi/mlcore.h"
#include "uapi/ml_lib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct row {
	const char *name;	/* as the header spells it */
	const char *spec_name;	/* as the spec spells it */
	unsigned long header;	/* what the header says */
	unsigned long spec;	/* what the spec's table says */
};

static const struct row rows[] = {
	{ "IOCTL_SEND_INTS", "IOCTL_SEND_INTS", IOCTL_SEND_INTS, 0x400C6800ul },
	{ "IOCTL_SET_RESULT", "IOCTL_SET_RESULT", IOCTL_SET_RESULT,
	  0x40046801ul },
	{ "IOCTL_GET_RESULT", "IOCTL_GET_RESULT", IOCTL_GET_RESULT,
	  0x80086802ul },
	{ "IOCTL_ADD_TRAINING", "IOCTL_ADD_TRAINING", IOCTL_ADD_TRAINING,
	  0x40106803ul },
	{ "IOCTL_CLEAR_TRAINING", "IOCTL_CLEAR_TRAINING", IOCTL_CLEAR_TRAINING,
	  0x00006804ul },
	{ "ML_LIB_TEST_IOCRESET", "IOCRESET", ML_LIB_TEST_IOCRESET,
	  0x00004D00ul },
	{ "ML_LIB_TEST_IOCGETSIZE", "IOCGETSIZE", ML_LIB_TEST_IOCGETSIZE,
	  0x80044D01ul },
	{ "ML_LIB_TEST_IOCSETSIZE", "IOCSETSIZE", ML_LIB_TEST_IOCSETSIZE,
	  0x40044D02ul },
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

static const char *dir_name(unsigned long cmd)
{
	switch (_IOC_DIR(cmd)) {
	case _IOC_NONE:
		return "-";
	case _IOC_READ:
		return "R";
	case _IOC_WRITE:
		return "W";
	default:
		return "RW";
	}
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			cap = (len + 4096 + 1) * 2;
			text = realloc(text, cap);
			if (!text)
				break;
		}
		n = fread(text + len, 1, 4096, f);
		len += n;
	} while (n);
	fclose(f);
	if (text)
		text[len] = '\0';
	return text;
}

/*
 * Whether some mention of name in the spec is followed, within 80
 * characters, by "0x" and the number (8 hex digits, either case).
 */
static int spec_says(const char *spec, const char *name, unsigned long want)
{
	size_t nlen = strlen(name);
	const char *p;

	for (p = strstr(spec, name); p; p = strstr(p + 1, name)) {
		const char *q, *end = p + nlen + 80;

		/* A whole word: IOCRESET, not ML_LIB_TEST_IOCRESETX. */
		if (p[nlen] == '_' || (p[nlen] >= 'A' && p[nlen] <= 'Z'))
			continue;
		for (q = p + nlen; *q && q < end; q++) {
			if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X')) {
				char *stop;
				unsigned long v = strtoul(q + 2, &stop, 16);

				if (stop - (q + 2) == 8 && v == want)
					return 1;
				break;	/* the first number after the name */
			}
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	char *spec = NULL;
	int bad = 0;
	size_t i;

	if (argc > 2) {
		fprintf(stderr, "usage: %s [ABI.md]\n", argv[0]);
		return 2;
	}
	if (argc == 2) {
		spec = read_file(argv[1]);
		if (!spec) {
			perror(argv[1]);
			return 2;
		}
	}

	printf("%-24s %-10s %-10s %-3s %-4s %-3s %-4s %s\n", "name", "header",
	       "spec", "dir", "type", "nr", "size", "");
	for (i = 0; i < NROWS; i++) {
		const struct row *r = &rows[i];
		unsigned long t = _IOC_TYPE(r->header);
		int ok = r->header == r->spec;
		int in_spec = !spec || spec_says(spec, r->spec_name, r->spec);

		printf("%-24s 0x%08lX 0x%08lX %-3s '%c'  %-3lu %-4lu %s\n",
		       r->name, r->header, r->spec, dir_name(r->header),
		       t >= 32 && t < 127 ? (int)t : '?',
		       (unsigned long)_IOC_NR(r->header),
		       (unsigned long)_IOC_SIZE(r->header),
		       !ok	   ? "MISMATCH"
		       : !in_spec ? "ABI.md no longer says this number"
				  : "ok");
		bad += !ok || !in_spec;
	}
	if (spec)
		printf("checked against %s\n", argv[1]);
	free(spec);
	if (bad)
		printf("%d of %zu numbers differ\n", bad, NROWS);
	return bad ? 1 : 0;
}
