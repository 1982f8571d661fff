/*
 * Quoted-printable body encoding, RFC 2045 §6.7 (declared in mime.h).
 *
 * The output is 7-bit, CRLF only, with encoded lines of at most 76
 * characters (rule 5).
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "core/mime.h"
#include "base/utf8.h"

static const char hex_digits[] = "0123456789ABCDEF";

/* Longest encoded line, not counting CRLF (rule 5). */
#define QP_LINE 76

static inline char *qp_escape(char *p, unsigned char c)
{
	*p++ = '=';
	*p++ = hex_digits[c >> 4];
	*p++ = hex_digits[c & 15];
	return p;
}

static inline int is_break(const char *in, size_t len, size_t i)
{
	return i >= len || in[i] == '\n' || in[i] == '\r';
}

void mime_qp_encode(const char *in, size_t len, struct strbuf *out)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, col = 0, worst;
	char *p, *line_start;

	/*
	 * Worst case: every byte escaped (3 characters; a line break is 1 or
	 * 2 bytes becoming 2), plus a soft break ("=" CRLF, 3 characters)
	 * after at least 62 output characters: under 4 per input byte.
	 */
	if (len > (SIZE_MAX - 64) / 4)
		BUG("qp input too large");
	worst = 4 * len + 16;
	strbuf_grow(out, worst);
	p = out->buf + out->len;
	line_start = p;

	while (i < len) {
		unsigned char c = s[i];
		char unit[12];
		size_t ulen, consumed, room;
		char *u = unit;

		/*
		 * Fast path, the bulk of any text: a run of characters that
		 * stand for themselves, and of '=' (=3D: HTML attributes are
		 * full of them), that fit on the line with room for a soft
		 * break.  It gives exactly what the general path below would,
		 * unit by unit: a unit that fits before column 76 never needs
		 * the soft break that path decides on.  Only the first can be
		 * at column 0, where '.' and 'F' need the general path.
		 */
		if (col < QP_LINE - 1 && (col > 0 || (c != '.' && c != 'F'))) {
			size_t k = i;

			while (k < len) {
				unsigned char d = s[k];

				if ((d > 0x20 && d < 0x7f && d != '=') ||
				    (d == ' ' && !is_break(in, len, k + 1))) {
					if (col + 1 > QP_LINE - 1)
						break;
					*p++ = (char)d;
					col++;
				} else if (d == '=') {
					if (col + 3 > QP_LINE - 1)
						break;
					p = qp_escape(p, d);
					col += 3;
				} else {
					break;
				}
				k++;
			}
			if (k > i) {
				i = k;
				continue;
			}
		}

		/* Hard line break: LF, CRLF or a lone CR all become CRLF. */
		if (c == '\n' || c == '\r') {
			*p++ = '\r';
			*p++ = '\n';
			i += (c == '\r' && i + 1 < len && s[i + 1] == '\n') ? 2 : 1;
			col = 0;
			line_start = p;
			continue;
		}
	again:
		u = unit;
		consumed = 1;
		if (c >= 0x80) {
			/*
			 * A whole UTF-8 sequence is one unit so a soft break never
			 * splits it; mail readers that decode line by line would
			 * otherwise show replacement characters.
			 */
			size_t l = utf8_seq_len((const char *)s + i, len - i), k;

			if (!l)
				l = 1;
			for (k = 0; k < l; k++)
				u = qp_escape(u, s[i + k]);
			consumed = l;
		} else if (c == ' ' || c == '\t') {
			/*
			 * Rule 3: whitespace before a line break (or the end of
			 * the part, which the delimiter's CRLF follows) must be
			 * encoded, once: libetpan's encoder doubles it.
			 */
			if (is_break(in, len, i + 1))
				u = qp_escape(u, c);
			else
				*u++ = (char)c;
		} else if (c == '=' || c < 0x20 || c == 0x7f) {
			u = qp_escape(u, c);
		} else if (col == 0 && (c == '.' ||
			   (c == 'F' && len - i >= 5 && memcmp(s + i, "From ", 5) == 0))) {
			/*
			 * A '.' alone on a line ends SMTP DATA, and "From " at the
			 * start of a line is mangled by mbox writers (RFC 2045 §6.7
			 * note 8); encoding them keeps the round trip exact.
			 */
			u = qp_escape(u, c);
		} else {
			*u++ = (char)c;
		}
		ulen = (size_t)(u - unit);

		/*
		 * Fit the unit on this line.  The last unit before a hard break
		 * may use all 76 columns; any other leaves room for the "=" of a
		 * soft break.
		 */
		room = is_break(in, len, i + consumed) ? QP_LINE : QP_LINE - 1;
		if (col + ulen > room && col > 0) {
			/*
			 * Keep whitespace from ending up right before the soft
			 * break, where a decoder that strips trailing blanks
			 * before "=" would lose it: carry it to the next line.
			 */
			char carried = 0;

			if (p > line_start && (p[-1] == ' ' || p[-1] == '\t')) {
				carried = p[-1];
				p--;
			}
			*p++ = '=';
			*p++ = '\r';
			*p++ = '\n';
			line_start = p;
			col = 0;
			if (carried) {
				*p++ = carried;
				col = 1;
			} else {
				/* Re-evaluate: the '.'/"From " rule depends on column 0. */
				goto again;
			}
		}
		for (u = unit; u < unit + ulen; u++)
			*p++ = *u;
		col += ulen;
		i += consumed;
	}
	out->len = (size_t)(p - out->buf);
	out->buf[out->len] = '\0';
}
