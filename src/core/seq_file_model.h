/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A model of the kernel's seq_file for single_open() files (fs/seq_file.c,
 * Linux 6.1), for the user-space doors: the kernel build uses the real
 * seq_file and does not compile this file.
 *
 * What it reproduces, because programs can see it:
 *   - the text is generated at a read at offset 0 and whenever a read or
 *     lseek targets an offset other than where the last read stopped;
 *   - a read that continues where the last one stopped is served from the
 *     text generated earlier, even if the device changed since;
 *   - short reads return exactly what was asked, then the rest, then 0;
 *   - lseek: SEEK_SET/SEEK_CUR only, negative targets EINVAL, past the end
 *     succeeds and later reads return 0;
 *   - a read whose destination faults: EFAULT if nothing was copied.
 *
 * The state is one flat struct, one per open file description.
 */
#ifndef SEQ_FILE_MODEL_H
#define SEQ_FILE_MODEL_H

#include "mlc_platform.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The kernel's first seq_file buffer is one page; every text here fits. */
#define MLC_SEQ_BUF_SIZE	4096

/* Renders the whole text of the file into buf; returns its length. */
typedef size_t (*mlc_seq_show_fn)(void *priv, char *buf, size_t size);

struct mlc_seq_file {
	int64_t f_pos;		/* the open file's position */
	int64_t read_pos;	/* where the last read stopped */
	size_t count;		/* bytes of buf not yet handed out */
	size_t from;		/* where they start */
	uint32_t index;		/* 0: next read renders; 1: past the record */
	mlc_seq_show_fn show;
	void *priv;
	char buf[MLC_SEQ_BUF_SIZE];
};

void mlc_seq_open(struct mlc_seq_file *m, mlc_seq_show_fn show, void *priv);

/*
 * read(2) at *ppos of up to size bytes into the caller's dst.  Returns the
 * number of bytes read or -errno, and advances *ppos like the VFS does.
 */
long mlc_seq_read(struct mlc_seq_file *m, struct mlc_host *host,
		  mlc_uptr dst, size_t size, int64_t *ppos);

/* read(2) at the file position (the usual case). */
long mlc_seq_read_at_fpos(struct mlc_seq_file *m, struct mlc_host *host,
			  mlc_uptr dst, size_t size);

/* lseek(2): SEEK_SET (0) and SEEK_CUR (1); anything else -EINVAL. */
int64_t mlc_seq_lseek(struct mlc_seq_file *m, int64_t offset, int whence);

#ifdef __cplusplus
}
#endif

#endif /* SEQ_FILE_MODEL_H */
