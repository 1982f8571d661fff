#include "base/common.h"
#include "base/strbuf.h"
#include "base/utf8.h"

char strbuf_slopbuf[1];

void strbuf_init(struct strbuf *sb, size_t hint)
{
	sb->alloc = sb->len = 0;
	sb->buf = strbuf_slopbuf;
	if (hint)
		strbuf_grow(sb, hint);
}

void strbuf_release(struct strbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	strbuf_init(sb, 0);
}

char *strbuf_detach(struct strbuf *sb, size_t *len)
{
	char *r;

	if (!sb->alloc)
		strbuf_grow(sb, 0);
	r = sb->buf;
	if (len)
		*len = sb->len;
	strbuf_init(sb, 0);
	return r;
}

void strbuf_grow(struct strbuf *sb, size_t extra)
{
	size_t need;

	if (sb->len > SIZE_MAX - extra - 1)
		BUG("strbuf_grow overflow");
	need = sb->len + extra + 1;
	if (need <= sb->alloc)
		return;
	if (!sb->alloc)
		sb->buf = NULL;
	sb->buf = xgrow(sb->buf, 1, need, &sb->alloc);
	if (sb->len == 0)
		sb->buf[0] = '\0';
}

void strbuf_setlen(struct strbuf *sb, size_t len)
{
	if (len > (sb->alloc ? sb->alloc - 1 : 0))
		BUG("strbuf_setlen beyond allocation");
	sb->len = len;
	if (sb->alloc)
		sb->buf[len] = '\0';
}

void strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	if (!len)
		return;
	strbuf_grow(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void strbuf_addstr(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void strbuf_addchars(struct strbuf *sb, int c, size_t n)
{
	strbuf_grow(sb, n);
	memset(sb->buf + sb->len, c, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void strbuf_addbuf(struct strbuf *sb, const struct strbuf *other)
{
	strbuf_add(sb, other->buf, other->len);
}

void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	strbuf_grow(sb, 64);
	va_copy(cp, ap);
	n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		BUG("vsnprintf failed");
	if ((size_t)n >= sb->alloc - sb->len) {
		strbuf_grow(sb, (size_t)n);
		n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, ap);
	}
	sb->len += (size_t)n;
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

void strbuf_add_html_escaped(struct strbuf *sb, const char *s, size_t len)
{
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		const char *rep;

		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		strbuf_add(sb, s + start, i - start);
		strbuf_addstr(sb, rep);
		start = i + 1;
	}
	strbuf_add(sb, s + start, len - start);
}

void strbuf_add_shown(struct strbuf *sb, const char *s, size_t len, const char *quote)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t n;

		if (c >= 0x20 && c < 0x7f) {
			if (quote && strchr(quote, c))
				strbuf_addch(sb, '\\');
			strbuf_addch(sb, c);
			i++;
			continue;
		}
		if (c == '\t' || c == '\n' || c == '\r') {
			strbuf_addch(sb, '\\');
			strbuf_addch(sb, c == '\t' ? 't' : c == '\n' ? 'n' : 'r');
			i++;
			continue;
		}
		n = c >= 0x80 ? utf8_seq_len(s + i, len - i) : 0;
		if (!n) {
			strbuf_addf(sb, "\\x%02x", c);
			i++;
		} else if (n == 2 && c == 0xc2 && (unsigned char)s[i + 1] < 0xa0) {
			/* U+0080..U+009F: CSI and friends for terminals that take C1. */
			strbuf_addf(sb, "\\u%04x", (unsigned char)s[i + 1]);
			i += 2;
		} else {
			strbuf_add(sb, s + i, n);
			i += n;
		}
	}
}

void strbuf_rtrim(struct strbuf *sb)
{
	while (sb->len && strchr(" \t\r\n\v\f", sb->buf[sb->len - 1]))
		sb->len--;
	if (sb->alloc)
		sb->buf[sb->len] = '\0';
}

int strbuf_read_file(struct strbuf *sb, const char *path)
{
	FILE *f = fopen(path, "rb");
	char tmp[65536];
	size_t n;
	int r = 0;

	if (!f)
		return -1;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		strbuf_add(sb, tmp, n);
	if (ferror(f)) {
		r = -1;
		errno = EIO;
	}
	fclose(f);
	return r;
}

int strbuf_add_percent_decoded(struct strbuf *sb, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			if (len - i < 3 || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
				return -1;
			c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
			i += 2;
		}
		strbuf_addch(sb, (char)c);
	}
	return 0;
}

void strbuf_add_json_string(struct strbuf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, run = 0;

	strbuf_grow(out, len + 2);
	strbuf_addch(out, '"');
	for (i = 0; i < len; i++) {
		unsigned c = p[i];

		/* The common case, copied in runs. */
		if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' &&
		    c != '&' && c != 0xE2)
			continue;
		strbuf_add(out, s + run, i - run);
		run = i + 1;
		if (c == '"' || c == '\\') {
			strbuf_addch(out, '\\');
			strbuf_addch(out, c);
		} else if (c == '\n') {
			strbuf_addstr(out, "\\n");
		} else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
			strbuf_addf(out, "\\u%04x", c);
		} else if (i + 2 < len && p[i + 1] == 0x80 &&
			   (p[i + 2] == 0xA8 || p[i + 2] == 0xA9)) {
			/* U+2028/2029 end a line in older JavaScript. */
			strbuf_addf(out, "\\u%04x", p[i + 2] == 0xA8 ? 0x2028 : 0x2029);
			i += 2;
			run = i + 1;
		} else {
			strbuf_addch(out, c);	/* another 0xE2 sequence */
		}
	}
	strbuf_add(out, s + run, len - run);
	strbuf_addch(out, '"');
}
