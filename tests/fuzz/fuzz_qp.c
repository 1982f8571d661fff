/*
 * Quoted-printable, the encoding of every body sent: the output must be
 * 7-bit, CRLF only, lines ≤ 76, with no leading dot or trailing blank on a
 * line, and decode back to the input with its line breaks as CRLF; it is
 * appended (what was in the buffer stays) and the same every time.
 */
#include "fuzz.h"
#include "base/strbuf.h"
#include "core/mime.h"

static int qp_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* RFC 2045 §6.7 decoding of our own output (strict: upper-case hex only). */
static void decode(const struct strbuf *qp, struct strbuf *out)
{
	size_t i = 0, col = 0;

	while (i < qp->len) {
		char c = qp->buf[i];

		FUZZ_CHECK((unsigned char)c < 0x80);
		if (c == '\r') {
			FUZZ_CHECK(i + 1 < qp->len && qp->buf[i + 1] == '\n');
			FUZZ_CHECK(col <= 76);
			strbuf_addstr(out, "\r\n");
			i += 2;
			col = 0;
			continue;
		}
		FUZZ_CHECK(c != '\n');
		if (c == '=') {
			if (i + 2 < qp->len && qp->buf[i + 1] == '\r' && qp->buf[i + 2] == '\n') {
				FUZZ_CHECK(col + 1 <= 76);
				i += 3;
				col = 0;
				continue;
			}
			FUZZ_CHECK(i + 2 < qp->len);
			FUZZ_CHECK(qp_hex(qp->buf[i + 1]) >= 0 && qp_hex(qp->buf[i + 2]) >= 0);
			strbuf_addch(out, qp_hex(qp->buf[i + 1]) << 4 | qp_hex(qp->buf[i + 2]));
			i += 3;
			col += 3;
			continue;
		}
		/* A leading dot would be doubled or eaten by SMTP (RFC 5321 §4.5.2). */
		if (col == 0)
			FUZZ_CHECK(c != '.');
		/* Trailing whitespace on a line would be lost in transport. */
		if (c == ' ' || c == '\t')
			FUZZ_CHECK(i + 1 < qp->len && qp->buf[i + 1] != '\r');
		strbuf_addch(out, c);
		i++;
		col++;
	}
	FUZZ_CHECK(col <= 76);
}

/* The input with every LF, CRLF and lone CR as CRLF. */
static void crlf(const char *in, size_t len, struct strbuf *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (in[i] == '\r') {
			if (i + 1 < len && in[i + 1] == '\n')
				i++;
			strbuf_addstr(out, "\r\n");
		} else if (in[i] == '\n') {
			strbuf_addstr(out, "\r\n");
		} else {
			strbuf_addch(out, in[i]);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct strbuf enc = STRBUF_INIT, again = STRBUF_INIT;
	struct strbuf dec = STRBUF_INIT, want = STRBUF_INIT;
	static const char prefix[] = "prefix:";

	fuzz_quiet();
	if (size > 65536)
		return 0;
	mime_qp_encode(in, size, &enc);
	strbuf_addstr(&again, prefix);
	mime_qp_encode(in, size, &again);
	FUZZ_CHECK(again.len == sizeof(prefix) - 1 + enc.len &&
		   !memcmp(again.buf, prefix, sizeof(prefix) - 1) &&
		   !memcmp(again.buf + sizeof(prefix) - 1, enc.buf, enc.len));
	decode(&enc, &dec);
	crlf(in, size, &want);
	FUZZ_CHECK(dec.len == want.len && !memcmp(dec.buf, want.buf, want.len));
	strbuf_release(&enc);
	strbuf_release(&again);
	strbuf_release(&dec);
	strbuf_release(&want);
	return 0;
}
