/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A bounded text appender for renderings into a caller's buffer: it keeps
 * counting past the end like snprintf, so a renderer returns the full
 * length of its text whatever the buffer's size (the kernel glue hands
 * the text to seq_file; user space to the seq_file model).
 */
#ifndef MLC_TEXT_H
#define MLC_TEXT_H

#include "mlc_platform.h"
#include "mlc_time.h"

struct mlc_text {
	char *buf;
	size_t size;
	size_t len;
};

static inline void mlc_text_init(struct mlc_text *t, char *buf, size_t size)
{
	t->buf = buf;
	t->size = size;
	t->len = 0;
	if (size)
		buf[0] = '\0';
}

#define mlc_text_printf(t, ...)						\
	do {								\
		size_t __room = (t)->len < (t)->size ?			\
				(t)->size - (t)->len : 0;		\
		int __n = mlc_snprintf(__room ? (t)->buf + (t)->len :	\
				       NULL, __room, __VA_ARGS__);	\
		if (__n > 0)						\
			(t)->len += (size_t)__n;			\
	} while (0)

/*
 * The same appends without a format string, for the hot paths (the log
 * file line of every SET_RESULT, /proc/mlcore_result): each gives exactly
 * the bytes, the truncation and the count the mlc_text_printf() in its
 * comment would.
 */

/* mlc_text_printf(t, "%.*s", (int)n, s) */
static inline void mlc_text_put(struct mlc_text *t, const char *s, size_t n)
{
	size_t room = t->len < t->size ? t->size - t->len : 0;

	if (room) {
		size_t k = n < room - 1 ? n : room - 1;

		mlc_memcpy(t->buf + t->len, s, k);
		t->buf[t->len + k] = '\0';
	}
	t->len += n;
}

/* mlc_text_printf(t, "%s", s) of a string literal */
#define mlc_text_puts(t, lit)	mlc_text_put((t), (lit), sizeof(lit) - 1)

/* mlc_text_printf(t, "%0*lld", width, v) with width <= 20 */
static inline void mlc_text_put_dec(struct mlc_text *t, int64_t v,
				    unsigned int width)
{
	char tmp[24];
	char *end = tmp + sizeof(tmp), *p = end;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	unsigned int sign = v < 0;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while ((unsigned int)(end - p) + sign < width && p > tmp + 1)
		*--p = '0';
	if (sign)
		*--p = '-';
	mlc_text_put(t, p, (size_t)(end - p));
}

/* mlc_text_printf(t, MLC_TM_FMT, MLC_TM_ARGS(tm)) */
static inline void mlc_text_put_tm(struct mlc_text *t, const struct mlc_tm *tm)
{
	mlc_text_put_dec(t, tm->year, 4);
	mlc_text_puts(t, "-");
	mlc_text_put_dec(t, tm->mon, 2);
	mlc_text_puts(t, "-");
	mlc_text_put_dec(t, tm->mday, 2);
	mlc_text_puts(t, " ");
	mlc_text_put_dec(t, tm->hour, 2);
	mlc_text_puts(t, ":");
	mlc_text_put_dec(t, tm->min, 2);
	mlc_text_puts(t, ":");
	mlc_text_put_dec(t, tm->sec, 2);
}

#endif /* MLC_TEXT_H */
