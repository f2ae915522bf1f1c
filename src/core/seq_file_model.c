// SPDX-License-Identifier: GPL-2.0
/*
 * single_open() seq_file semantics; see seq_file_model.h.  The structure
 * follows seq_read_iter(), traverse() and seq_lseek() so the two can be read
 * side by side; with single_open() there is exactly one record (index 0),
 * whose show() produces the whole text.
 */
#include "seq_file_model.h"

#define MLC_SEEK_SET	0
#define MLC_SEEK_CUR	1

void mlc_seq_open(struct mlc_seq_file *m, mlc_seq_show_fn show, void *priv)
{
	m->f_pos = 0;
	m->read_pos = 0;
	m->count = 0;
	m->from = 0;
	m->index = 0;
	m->show = show;
	m->priv = priv;
}

/* show() of the single record; the record pointer then moves past it. */
static void seq_show_single(struct mlc_seq_file *m)
{
	size_t len = m->show(m->priv, m->buf, sizeof(m->buf));

	m->count = len < sizeof(m->buf) ? len : sizeof(m->buf) - 1;
	m->index = 1;
}

/* Regenerate and skip to offset, as traverse() does. */
static void seq_traverse(struct mlc_seq_file *m, int64_t offset)
{
	m->index = 0;
	m->count = 0;
	m->from = 0;
	if (!offset)
		return;

	seq_show_single(m);
	if ((int64_t)m->count > offset) {
		m->from = (size_t)offset;
		m->count -= (size_t)offset;
	} else {
		m->count = 0;
	}
}

/* Copy out as copy_to_iter() does: returns the bytes really copied. */
static size_t seq_copy_out(struct mlc_host *host, mlc_uptr dst,
			   const char *src, size_t len)
{
	return len - mlc_copy_to_user(host, dst, src, len);
}

long mlc_seq_read(struct mlc_seq_file *m, struct mlc_host *host,
		  mlc_uptr dst, size_t size, int64_t *ppos)
{
	size_t copied = 0;
	size_t n, want;

	if (!size)
		return 0;

	/* A read from offset 0 starts over from the first record. */
	if (*ppos == 0) {
		m->index = 0;
		m->count = 0;
	}

	/* Don't assume *ppos is where the last read left it. */
	if (*ppos != m->read_pos) {
		seq_traverse(m, *ppos);
		m->read_pos = *ppos;
	}

	/* Hand out what is left of the text generated earlier. */
	if (m->count) {
		want = m->count < size ? m->count : size;
		n = seq_copy_out(host, dst, m->buf + m->from, want);
		m->count -= n;
		m->from += n;
		copied += n;
		if (m->count)
			goto done;
	}

	m->from = 0;
	if (m->index == 0) {
		seq_show_single(m);
		if (m->count) {
			want = m->count < size - copied ? m->count
							: size - copied;
			n = seq_copy_out(host, dst + copied, m->buf, want);
			copied += n;
			m->count -= n;
			m->from = n;
		}
	} else {
		m->count = 0;
	}

done:
	if (!copied)
		return m->count ? -EFAULT : 0;
	*ppos += (int64_t)copied;
	m->read_pos += (int64_t)copied;
	return (long)copied;
}

long mlc_seq_read_at_fpos(struct mlc_seq_file *m, struct mlc_host *host,
			  mlc_uptr dst, size_t size)
{
	return mlc_seq_read(m, host, dst, size, &m->f_pos);
}

int64_t mlc_seq_lseek(struct mlc_seq_file *m, int64_t offset, int whence)
{
	switch (whence) {
	case MLC_SEEK_CUR:
		offset += m->f_pos;
		/* fall through */
	case MLC_SEEK_SET:
		if (offset < 0)
			return -EINVAL;
		if (offset != m->read_pos) {
			seq_traverse(m, offset);
			m->read_pos = offset;
		}
		m->f_pos = offset;
		return offset;
	default:
		return -EINVAL;
	}
}
