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

#endif /* MLC_TEXT_H */
