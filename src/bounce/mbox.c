/*
 * mbox splitting.  A separator is "From " at the start of the data or
 * after a blank line (mboxrd / mboxo as written by mutt, Postfix's local
 * and Dovecot); ">From " quoting is undone one level, which reverses both
 * dialects for the lines that matter.  One pass over the data.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "bounce/mbox.h"

static int is_from_line(const char *p, size_t n)
{
	return n >= 5 && !memcmp(p, "From ", 5);
}

/* ">From ", ">>From ", ...: a quoted "From " line. */
static int is_quoted_from(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && p[i] == '>')
		i++;
	return i > 0 && is_from_line(p + i, n - i);
}

static int emit(const char *data, size_t start, size_t end, size_t offset, struct strbuf *sb,
		int (*cb)(void *, const char *, size_t, size_t), void *ctx)
{
	size_t i = start;

	strbuf_reset(sb);
	while (i < end) {
		const char *nl = memchr(data + i, '\n', end - i);
		size_t e = nl ? (size_t)(nl - data) + 1 : end;

		if (is_quoted_from(data + i, e - i))
			strbuf_add(sb, data + i + 1, e - i - 1);
		else
			strbuf_add(sb, data + i, e - i);
		i = e;
	}
	return cb(ctx, sb->buf, sb->len, offset);
}

int mbox_split(const char *data, size_t len,
	       int (*cb)(void *ctx, const char *msg, size_t msglen, size_t offset),
	       void *ctx)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i = 0, body = 0, sep = 0;
	int prev_blank = 1, r = 0, started = 0;

	if (!is_from_line(data, len)) {
		r = cb(ctx, data, len, 0);
		return r;
	}
	while (i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - data) + 1 : len;
		size_t ln = e - i;

		if (prev_blank && is_from_line(data + i, ln)) {
			if (started) {
				/* The blank line before the separator belongs to the mbox, not the message. */
				size_t end = i;

				if (end > body && data[end - 1] == '\n')
					end--;
				if (end > body && data[end - 1] == '\r')
					end--;
				r = emit(data, body, end, sep, &sb, cb, ctx);
				if (r)
					break;
			}
			started = 1;
			sep = i;
			body = e;
			prev_blank = 0;
		} else {
			prev_blank = ln == 1 || (ln == 2 && data[i] == '\r');
		}
		i = e;
	}
	if (!r && started)
		r = emit(data, body, len, sep, &sb, cb, ctx);
	strbuf_release(&sb);
	return r;
}
