/*
 * mime.c and mime_qp.c: quoted-printable and base64 round trips through a
 * decoder written here (fixed cases and random text), RFC 2047 headers decoded by libetpan, header-injection regressions,
 * and whole messages parsed back by libetpan with their parts compared byte
 * for byte with the input.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "core/mime.h"
#include "tap.h"

#include <libetpan/libetpan.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Helpers                                                              */

static int errors_seen;
static char last_error[512];

static void record(const char *level, const char *msg)
{
	if (strcmp(level, "error") == 0) {
		errors_seen++;
		snprintf(last_error, sizeof(last_error), "%s", msg);
	}
}

/* What the encoder must preserve: LF, CRLF and lone CR all become CRLF. */
static void normalize_crlf(const char *in, size_t len, struct strbuf *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (in[i] == '\r') {
			strbuf_addstr(out, "\r\n");
			if (i + 1 < len && in[i + 1] == '\n')
				i++;
		} else if (in[i] == '\n') {
			strbuf_addstr(out, "\r\n");
		} else {
			strbuf_addch(out, in[i]);
		}
	}
}

static int qp_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;	/* we only ever write upper case */
}

/*
 * A strict QP decoder (RFC 2045 §6.7).  Returns -1 on anything our encoder
 * must never produce: bad escapes, lines over 76, bare CR/LF, 8-bit bytes,
 * trailing whitespace, a line starting with "." or "From ".
 */
static int qp_decode(const char *in, size_t len, struct strbuf *out, char *why, size_t whylen)
{
	size_t i = 0;

	while (i < len) {
		const char *eol = NULL;
		size_t j, linelen;
		int soft = 0;

		for (j = i; j < len; j++)
			if (in[j] == '\r' || in[j] == '\n')
				break;
		if (j < len) {
			if (in[j] != '\r' || j + 1 >= len || in[j + 1] != '\n') {
				snprintf(why, whylen, "bare CR or LF at %zu", j);
				return -1;
			}
			eol = in + j;
		}
		linelen = j - i;
		if (linelen > 76) {
			snprintf(why, whylen, "line of %zu characters at %zu", linelen, i);
			return -1;
		}
		if (linelen > 0 && (in[j - 1] == ' ' || in[j - 1] == '\t')) {
			snprintf(why, whylen, "trailing whitespace at %zu", j - 1);
			return -1;
		}
		if ((linelen > 0 && in[i] == '.') || (linelen >= 5 && memcmp(in + i, "From ", 5) == 0)) {
			snprintf(why, whylen, "line starts with '.' or 'From ' at %zu", i);
			return -1;
		}
		for (; i < j; i++) {
			unsigned char c = in[i];

			if (c >= 0x80 || (c < 0x20 && c != '\t') || c == 0x7f) {
				snprintf(why, whylen, "raw byte 0x%02x at %zu", c, i);
				return -1;
			}
			if (c == '=') {
				if (i + 1 == j) {
					soft = 1;
					break;
				}
				if (i + 2 >= j + 1 || qp_hex(in[i + 1]) < 0 || qp_hex(in[i + 2]) < 0) {
					snprintf(why, whylen, "bad escape at %zu", i);
					return -1;
				}
				strbuf_addch(out, qp_hex(in[i + 1]) * 16 + qp_hex(in[i + 2]));
				i += 2;
			} else {
				strbuf_addch(out, c);
			}
		}
		i = j;
		if (eol) {
			i += 2;
			if (!soft)
				strbuf_addstr(out, "\r\n");
		} else if (soft) {
			snprintf(why, whylen, "soft break at the very end");
			return -1;
		}
	}
	return 0;
}

static int b64val(int c)
{
	const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(a, c) : NULL;

	return p ? (int)(p - a) : -1;
}

static int b64_decode(const char *in, size_t len, struct strbuf *out)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t i, pad = 0, linelen = 0;

	for (i = 0; i < len; i++) {
		if (in[i] == '\r') {
			if (i + 1 >= len || in[i + 1] != '\n' || linelen > 76)
				return -1;
			i++;
			linelen = 0;
			continue;
		}
		linelen++;
		if (in[i] == '=') {
			pad++;
			continue;
		}
		if (pad || b64val(in[i]) < 0)
			return -1;
		acc = acc << 6 | (uint32_t)b64val(in[i]);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			strbuf_addch(out, (acc >> bits) & 0xff);
		}
	}
	return 0;
}

static int utf8_ok(const char *s, size_t n)
{
	/* Independent of mime.c: let iconv-free logic decide via libetpan? keep it simple. */
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t l, k;

		if (c < 0x80)
			l = 1;
		else if (c >= 0xc2 && c <= 0xdf)
			l = 2;
		else if (c >= 0xe0 && c <= 0xef)
			l = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			l = 4;
		else
			return 0;
		if (i + l > n)
			return 0;
		for (k = 1; k < l; k++)
			if (((unsigned char)s[i + k] & 0xc0) != 0x80)
				return 0;
		i += l;
	}
	return 1;
}

/*
 * Encode, check every encoded line decodes to complete UTF-8 characters
 * when the input is UTF-8 (no split sequences), decode, compare.  1 if
 * all holds; otherwise 0 with the reason in why.  enc gets the encoding.
 */
static int qp_check(const char *in, size_t len, struct strbuf *enc, char *why, size_t whylen)
{
	struct strbuf dec = STRBUF_INIT, want = STRBUF_INIT;
	int good;

	why[0] = '\0';
	mime_qp_encode(in, len, enc);
	normalize_crlf(in, len, &want);
	good = qp_decode(enc->buf, enc->len, &dec, why, whylen) == 0 &&
		dec.len == want.len && memcmp(dec.buf, want.buf, dec.len) == 0;
	if (good && utf8_ok(in, len)) {
		/* Each physical line, decoded alone, must be valid UTF-8. */
		const char *p = enc->buf, *end = enc->buf + enc->len;

		while (p < end && good) {
			const char *e = strstr(p, "\r\n");
			struct strbuf line = STRBUF_INIT;
			char w2[128];

			if (!e)
				e = end;
			good = qp_decode(p, (size_t)(e - p) + (e < end ? 2 : 0), &line, w2,
					 sizeof(w2)) == 0 &&
				utf8_ok(line.buf, line.len);
			if (!good)
				snprintf(why, whylen, "line '%.*s' splits a UTF-8 character",
					 (int)(e - p), p);
			strbuf_release(&line);
			p = e + 2;
		}
	}
	strbuf_release(&dec);
	strbuf_release(&want);
	return good;
}

static int qp_roundtrip(const char *in, size_t len, const char *name)
{
	struct strbuf enc = STRBUF_INIT;
	char why[128];
	int good = qp_check(in, len, &enc, why, sizeof(why));

	ok(good, "qp round trip: %s", name);
	if (!good) {
		diag("why: %s", why[0] ? why : "decoded bytes differ");
		diag("encoded: %.300s", enc.buf);
	}
	strbuf_release(&enc);
	return good;
}

/* ------------------------------------------------------------------ */

static void test_qp(void)
{
	struct strbuf s = STRBUF_INIT, enc = STRBUF_INIT;
	static const char *const cases[][2] = {
		{ "empty", "" },
		{ "plain", "Hello, world\n" },
		{ "no final newline", "no newline at the end" },
		{ "trailing spaces", "trailing   \nnext\n" },
		{ "trailing tabs", "tabs\t\t\nnext\t\n" },
		{ "trailing space at end of input", "end " },
		{ "trailing tab at end of input", "end\t" },
		{ "space and tab mix", " \t \t\n\t \n" },
		{ "dot lines", ".\n..\n.dot\n. \nx\n.\n" },
		{ "From lines", "From me\nFrom\nFrom: x\n>From y\nFromage\n" },
		{ "equals", "a=b\n==\n=\n=3D\n=\r\n" },
		{ "empty lines", "\n\n\n\nx\n\n" },
		{ "CRLF input", "a\r\nb\r\n\r\n" },
		{ "lone CR", "a\rb\r\rc" },
		{ "control chars", "\x01\x02\x1b[31m\x7f\x0c\x0b\x08end\n" },
		{ "utf-8", "Grüße aus Köln — „Zitat“ 心臓MRI 😀👩‍⚕️\n" },
		{ "invalid utf-8", "bad \xff\xfe \xc3 \xe2\x82 end\n" },
	};
	size_t i, n;
	int j;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		qp_roundtrip(cases[i][1], strlen(cases[i][1]), cases[i][0]);
	qp_roundtrip("nul\0inside\n", 11, "NUL byte");

	/* 2,000-character lines of every kind. */
	strbuf_reset(&s);
	strbuf_addchars(&s, 'x', 2000);
	qp_roundtrip(s.buf, s.len, "2000 x");
	strbuf_reset(&s);
	for (j = 0; j < 400; j++)
		strbuf_addstr(&s, "a b ");
	qp_roundtrip(s.buf, s.len, "2000 chars with spaces");
	strbuf_reset(&s);
	for (j = 0; j < 1000; j++)
		strbuf_addstr(&s, " \t");
	qp_roundtrip(s.buf, s.len, "2000 whitespace");
	strbuf_reset(&s);
	for (j = 0; j < 700; j++)
		strbuf_addstr(&s, "é");
	qp_roundtrip(s.buf, s.len, "1400 bytes of 2-byte UTF-8");
	strbuf_reset(&s);
	for (j = 0; j < 500; j++)
		strbuf_addstr(&s, "心");
	qp_roundtrip(s.buf, s.len, "1500 bytes of 3-byte UTF-8");
	strbuf_reset(&s);
	for (j = 0; j < 500; j++)
		strbuf_addstr(&s, "😀");
	qp_roundtrip(s.buf, s.len, "2000 bytes of 4-byte UTF-8");
	strbuf_reset(&s);
	for (j = 0; j < 2000; j++)
		strbuf_addch(&s, "a.Fe=\t é"[j % 8]);
	qp_roundtrip(s.buf, s.len, "2000 mixed");
	/* A '.' or "From " landing at the start of a soft-broken line. */
	for (j = 70; j < 80; j++) {
		strbuf_reset(&s);
		strbuf_addchars(&s, 'y', (size_t)j);
		strbuf_addstr(&s, ".From x\n");
		strbuf_addchars(&s, 'y', (size_t)j);
		strbuf_addstr(&s, "From x\n");
		strbuf_addchars(&s, 'y', (size_t)j);
		strbuf_addstr(&s, " \t x\n");
		qp_roundtrip(s.buf, s.len, "soft break before '.', 'From ', whitespace");
	}

	/* Trailing whitespace encoded once, not doubled (libetpan's bug). */
	strbuf_reset(&enc);
	mime_qp_encode("a \nb\t\n", 6, &enc);
	is_str(enc.buf, "a=20\r\nb=09\r\n", "trailing whitespace encoded exactly once");
	strbuf_reset(&enc);
	mime_qp_encode("From x\n.\n", 9, &enc);
	is_str(enc.buf, "=46rom x\r\n=2E\r\n", "From and dot at line start");
	strbuf_reset(&enc);
	mime_qp_encode("x", 1, &enc);
	is_str(enc.buf, "x", "no final newline is not invented");

	/* Random inputs from an alphabet of troublemakers. */
	{
		static const char *const alpha[] = { " ", "\t", "\n", "\r\n", "\r", ".", "From ",
			"=", "a", "Z", "é", "心", "😀", "\xff", "\x01", "\x7f", "_", "?", "=_" };
		unsigned seed = 12345;
		int fails = 0;

		for (j = 0; j < 3000; j++) {
			int k, n2 = (int)((seed = seed * 1103515245 + 12345) >> 16) % 300;
			struct strbuf dec = STRBUF_INIT, want = STRBUF_INIT;
			char why[128];

			strbuf_reset(&s);
			for (k = 0; k < n2; k++) {
				seed = seed * 1103515245 + 12345;
				strbuf_addstr(&s, alpha[(seed >> 16) % ARRAY_SIZE(alpha)]);
			}
			strbuf_reset(&enc);
			mime_qp_encode(s.buf, s.len, &enc);
			normalize_crlf(s.buf, s.len, &want);
			if (strstr(enc.buf, "=_")) {
				if (!fails++)
					diag("random case %d: '=_' in QP output", j);
			}
			if (qp_decode(enc.buf, enc.len, &dec, why, sizeof(why)) < 0 ||
			    dec.len != want.len || memcmp(dec.buf, want.buf, dec.len) != 0) {
				if (!fails++)
					diag("random case %d fails: %s", j, why);
			}
			strbuf_release(&dec);
			strbuf_release(&want);
		}
		ok(!fails, "3000 random inputs round trip (%d failures)", fails);
	}
	n = 0;
	(void)n;
	strbuf_release(&s);
	strbuf_release(&enc);
}

/* ------------------------------------------------------------------ */
/* Quoted-printable on random text: every rule at once, every break kind */

static uint64_t rng_state = 0x243F6A8885A308D3ull;

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static size_t rnd(size_t n)
{
	return (size_t)(rng() % n);
}

/* One random line (no break) of `len` bytes or a little more. */
static void random_line(struct strbuf *s, size_t len)
{
	static const char *const frag[] = { "a", "word", "Z", " ", " ", "\t", ".", "From ",
		"From", "=", "==", "é", "心", "😀", "\xff", "\xc3", "\xe2\x82", "\x01", "\x7f",
		"\0", "<p>", "href=\"https://example.org/x?a=1&b=2\"", ">From ", "=_", "-- " };
	size_t start = s->len;

	if (rnd(4) == 0)		/* '.' or "From " at column 0 */
		strbuf_addstr(s, rnd(2) ? "." : "From ");
	while (s->len - start < len) {
		size_t k = rnd(ARRAY_SIZE(frag));

		if (k == 19)
			strbuf_add(s, "", 1);	/* a NUL byte */
		else
			strbuf_addstr(s, frag[k]);
	}
	switch (rnd(5)) {		/* trailing whitespace before the break */
	case 0: strbuf_addch(s, ' '); break;
	case 1: strbuf_addstr(s, " \t"); break;
	case 2: strbuf_addstr(s, "\t \t "); break;
	}
}

static size_t random_line_len(void)
{
	switch (rnd(6)) {
	case 0: return rnd(20);			/* short */
	case 1: return 20 + rnd(57);		/* fits a QP line */
	case 2: return 70 + rnd(12);		/* around 76 */
	case 3: return 77 + rnd(300);		/* soft-broken */
	case 4: return 2030 + rnd(40);		/* long */
	default: return rnd(3) ? 20 + rnd(150) : 2100 + rnd(900);
	}
}

static void add_break(struct strbuf *s)
{
	static const char *const brk[] = { "\n", "\r\n", "\r" };

	strbuf_addstr(s, brk[rnd(3)]);
}

/* A random text of `lines` lines, most from `pool` (so some repeat). */
static void random_text(struct strbuf *s, struct strbuf *pool, size_t npool, size_t lines)
{
	size_t i;

	for (i = 0; i < lines; i++) {
		if (rnd(3))
			strbuf_addbuf(s, &pool[rnd(npool)]);
		else
			random_line(s, random_line_len());
		if (i + 1 < lines || rnd(2))	/* no final break half the time */
			add_break(s);
	}
}

static void test_qp_random(void)
{
	struct strbuf pool[40], s = STRBUF_INIT;
	size_t i;
	int fails = 0;

	for (i = 0; i < ARRAY_SIZE(pool); i++) {
		strbuf_init(&pool[i], 0);
		random_line(&pool[i], random_line_len());
	}
	for (i = 0; i < 600; i++) {
		struct strbuf enc = STRBUF_INIT;
		char why[128];

		strbuf_reset(&s);
		random_text(&s, pool, ARRAY_SIZE(pool), 1 + rnd(i % 10 == 0 ? 200 : 30));
		if (!qp_check(s.buf, s.len, &enc, why, sizeof(why)) && !fails++)
			diag("input %zu: %s; encoded: %.300s", i, why[0] ? why : "decoded bytes differ",
			     enc.buf);
		strbuf_release(&enc);
	}
	ok(!fails, "600 random texts round-trip with whole UTF-8 sequences per line (%d failures)",
	   fails);
	for (i = 0; i < ARRAY_SIZE(pool); i++)
		strbuf_release(&pool[i]);
	strbuf_release(&s);
}

static void test_base64(void)
{
	struct strbuf enc = STRBUF_INIT, dec = STRBUF_INIT;
	unsigned char data[1000];
	size_t n, i;
	int fails = 0;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + 3);
	for (n = 0; n < 200; n++) {
		strbuf_reset(&enc);
		strbuf_reset(&dec);
		mime_base64_encode(data, n * 5, &enc);
		if (b64_decode(enc.buf, enc.len, &dec) < 0 || dec.len != n * 5 ||
		    memcmp(dec.buf, data, dec.len) != 0)
			fails++;
		if (n && (enc.len < 2 || memcmp(enc.buf + enc.len - 2, "\r\n", 2) != 0))
			fails++;
	}
	ok(!fails, "base64 round trips, 76-char CRLF lines (%d failures)", fails);
	strbuf_reset(&enc);
	mime_base64_encode("Man", 3, &enc);
	is_str(enc.buf, "TWFu\r\n", "base64 'Man'");
	strbuf_reset(&enc);
	mime_base64_encode("Ma", 2, &enc);
	is_str(enc.buf, "TWE=\r\n", "base64 padding");
	strbuf_release(&enc);
	strbuf_release(&dec);
}

/* ------------------------------------------------------------------ */
/* Headers                                                              */

/*
 * Check the header lines in h: CRLF only, ≤ 76 (RFC 2047 §2: lines with encoded words),
 * every encoded word ≤ 75 and decodable alone to valid UTF-8.
 */
static int header_shape_ok(const char *h, size_t soft_limit, char *why, size_t wl)
{
	const char *p = h;

	while (*p) {
		const char *e = strstr(p, "\r\n"), *w;

		if (!e) {
			snprintf(why, wl, "no CRLF at the end");
			return 0;
		}
		if ((size_t)(e - p) > soft_limit) {
			snprintf(why, wl, "line of %d characters", (int)(e - p));
			return 0;
		}
		for (w = p; w < e; w++)
			if (*w == '\n' || *w == '\r' || (unsigned char)*w >= 0x80) {
				snprintf(why, wl, "bad byte in a header line");
				return 0;
			}
		/* encoded words on this line */
		for (w = p; (w = strstr(w, "=?")) && w < e;) {
			const char *end = strstr(w + 10, "?=");
			char *dec = NULL;
			size_t idx = 0;

			if (!end || end > e) {
				snprintf(why, wl, "encoded word crosses a line");
				return 0;
			}
			end += 2;
			if (end - w > 75) {
				snprintf(why, wl, "encoded word of %d characters", (int)(end - w));
				return 0;
			}
			if (mailmime_encoded_phrase_parse("utf-8", w, (size_t)(end - w), &idx, "utf-8",
							  &dec) != MAILIMF_NO_ERROR) {
				snprintf(why, wl, "libetpan cannot decode '%.*s'", (int)(end - w), w);
				return 0;
			}
			if (!utf8_ok(dec, strlen(dec)) || strstr(dec, "\xef\xbf\xbd")) {
				snprintf(why, wl, "encoded word '%.*s' splits a character", (int)(end - w), w);
				free(dec);
				return 0;
			}
			free(dec);
			w = end;
		}
		p = e + 2;
	}
	return 1;
}

/* Decode an unstructured header's value with libetpan: unfold, decode words. */
static char *etpan_decode_value(const char *header)
{
	const char *colon = strchr(header, ':');
	struct strbuf unfolded = STRBUF_INIT;
	const char *p;
	char *dec = NULL;
	size_t idx = 0;

	/* RFC 5322 §2.2.3: unfolding removes CRLF before WSP. */
	for (p = colon + 1; *p; p++) {
		if (p[0] == '\r' && p[1] == '\n')
			p++;
		else
			strbuf_addch(&unfolded, *p);
	}
	p = unfolded.buf;
	if (*p == ' ')
		p++;
	if (mailmime_encoded_phrase_parse("utf-8", p, strlen(p), &idx, "utf-8", &dec) !=
	    MAILIMF_NO_ERROR)
		dec = NULL;
	strbuf_release(&unfolded);
	return dec;
}

static void subject_case(const char *name, const char *value, int expect_plain)
{
	struct strbuf h = STRBUF_INIT;
	char why[200] = "";
	char *dec;
	int r = mime_add_unstructured(&h, "Subject", value);

	ok(r == 0, "subject %s: accepted", name);
	ok(header_shape_ok(h.buf, 76, why, sizeof(why)), "subject %s: shape (%s)", name, why);
	if (expect_plain >= 0)
		ok((strstr(h.buf, "=?") == NULL) == expect_plain, "subject %s: %s", name,
		   expect_plain ? "stays plain" : "is encoded");
	dec = etpan_decode_value(h.buf);
	if (!is_str(dec, value, "subject %s: libetpan decodes it back exactly", name))
		diag("header: %s", h.buf);
	free(dec);
	strbuf_release(&h);
}

static void test_headers(void)
{
	struct strbuf h = STRBUF_INIT, s = STRBUF_INIT;
	int j;

	subject_case("ascii", "NewsBeat #42: CMR in heart failure", 1);
	subject_case("long ascii",
		     "NewsBeat #42: CMR in heart failure, what is new in 2026, the abstract deadline "
		     "for the annual meeting, and a few words from the president about the future", 1);
	subject_case("accents", "Grüße aus Köln: Kardio-MRT", 0);
	subject_case("emoji", "🫀 NewsBeat ❤️ 😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀", 0);
	strbuf_reset(&s);
	for (j = 0; j < 60; j++)
		strbuf_addstr(&s, "心臓磁気共鳴");
	subject_case("long CJK", s.buf, 0);
	subject_case("mixed", "NewsBeat #42 — 心臓MRI, Grüße and emoji 😀 with underscores_and=equals?", 0);
	subject_case("looks encoded", "please read =?UTF-8?Q?this?= as text", 0);
	/* libetpan's phrase decoder collapses whitespace, so compare the raw line. */
	strbuf_reset(&h);
	ok(mime_add_unstructured(&h, "Subject", "a  b\tc   d") == 0, "subject with tab accepted");
	is_str(h.buf, "Subject: a  b\tc   d\r\n", "tab and multiple spaces kept verbatim");
	subject_case("specials", "Re: [news] (draft) \"quoted\" <x> a_b=c?d", -1);
	strbuf_reset(&s);
	strbuf_addchars(&s, 'w', 1500);
	subject_case("one 1500-character word", s.buf, -1);

	/*
	 * Random subjects and names: words from a troublesome alphabet joined
	 * by single spaces (libetpan's phrase decoder collapses runs of
	 * whitespace, which would hide nothing of ours but fail the compare).
	 */
	{
		static const char *const words[] = { "a", "NewsBeat", "#42:", "é", "Grüße", "心臓",
			"😀", "=?", "?=", "_", "=", "\"q\"", "\\", "(c)", "<x>", ",", "x@y",
			"wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww", "\t" };
		unsigned seed = 4242;
		int fails = 0, k, nw;

		for (j = 0; j < 400; j++) {
			char why[200] = "", *dec;
			const char *dn;

			strbuf_reset(&s);
			nw = 1 + (int)((seed = seed * 1103515245 + 12345) >> 16) % 25;
			for (k = 0; k < nw; k++) {
				seed = seed * 1103515245 + 12345;
				if (k)
					strbuf_addch(&s, ' ');
				strbuf_addstr(&s, words[(seed >> 16) % (ARRAY_SIZE(words) - 1)]);
			}
			strbuf_reset(&h);
			if (mime_add_unstructured(&h, "Subject", s.buf) < 0 ||
			    !header_shape_ok(h.buf, 76, why, sizeof(why))) {
				if (!fails++)
					diag("subject '%s': %s", s.buf, why);
				continue;
			}
			dec = etpan_decode_value(h.buf);
			if (!dec || strcmp(dec, s.buf) != 0) {
				if (!fails++)
					diag("subject '%s' decodes as '%s'", s.buf, dec ? dec : "(null)");
			}
			free(dec);
			/* The same words as a display name, through libetpan's address parser. */
			strbuf_reset(&h);
			if (mime_add_mailbox(&h, "To", s.buf, "eve@example.org") < 0 ||
			    !header_shape_ok(h.buf, 76, why, sizeof(why))) {
				if (!fails++)
					diag("name '%s': %s", s.buf, why);
				continue;
			}
			{
				struct mailimf_fields *f = NULL;
				size_t idx = 0;

				strbuf_addstr(&h, "\r\n");
				dec = NULL;
				if (mailimf_fields_parse(h.buf, h.len, &idx, &f) == MAILIMF_NO_ERROR) {
					struct mailimf_field *fld = clist_content(clist_begin(f->fld_list));
					struct mailimf_address *a;

					if (fld->fld_type == MAILIMF_FIELD_TO) {
						a = clist_content(clist_begin(fld->fld_data.fld_to->to_addr_list->ad_list));
						if (a->ad_type == MAILIMF_ADDRESS_MAILBOX &&
						    strcmp(a->ad_data.ad_mailbox->mb_addr_spec, "eve@example.org") == 0) {
							size_t ii = 0;

							dn = a->ad_data.ad_mailbox->mb_display_name;
							dn = dn ? dn : "";
							mailmime_encoded_phrase_parse("utf-8", dn, strlen(dn), &ii,
										      "utf-8", &dec);
						}
					}
					mailimf_fields_free(f);
				}
				/* libetpan's mb_display_name has quoted-pairs already undone. */
				if (!dec || strcmp(dec, s.buf) != 0) {
					if (!fails++)
						diag("name '%s' reads back as '%s' from %s", s.buf,
						     dec ? dec : "(null)", h.buf);
				}
				free(dec);
			}
		}
		ok(!fails, "400 random subjects and names: shape and libetpan round trip (%d failures)",
		   fails);
	}

	/* Injection and invalid input are refused and nothing is written. */
	strbuf_reset(&h);
	errors_seen = 0;
	ok(mime_add_unstructured(&h, "Subject", "Subject\r\nBcc: x@example.org") < 0 && h.len == 0,
	   "subject with CRLF rejected, nothing written");
	ok(errors_seen == 1 && strstr(last_error, "Subject"), "the error names the field: %s",
	   last_error);
	ok(mime_add_unstructured(&h, "Subject", "a\nBcc: x") < 0 && h.len == 0, "subject with LF rejected");
	ok(mime_add_unstructured(&h, "Subject", "a\rBcc: x") < 0 && h.len == 0, "subject with CR rejected");
	ok(mime_add_unstructured(&h, "Subject", "bad \xff utf-8") < 0 && h.len == 0,
	   "subject with invalid UTF-8 rejected");
	ok(mime_add_unstructured(&h, "Subject", "overlong \xc0\xaf") < 0 && h.len == 0,
	   "subject with overlong UTF-8 rejected");
	ok(mime_add_unstructured(&h, "Subject", "surrogate \xed\xa0\x80") < 0 && h.len == 0,
	   "subject with a surrogate rejected");
	ok(mime_add_mailbox(&h, "To", "Eve\nBcc: x@example.org", "eve@example.org") < 0 && h.len == 0,
	   "display name with LF rejected");
	ok(mime_add_mailbox(&h, "To", "Eve", "eve@example.org\r\nBcc: x@example.org") < 0 && h.len == 0,
	   "address with CRLF rejected");
	ok(mime_add_mailbox(&h, "To", "Eve", "eve@example.org> , <x@example.org") < 0 && h.len == 0,
	   "address with '>' rejected");
	ok(mime_has_line_break("a\0b", 3), "NUL is detected");
	ok(mime_has_line_break("a\rb", 3) && mime_has_line_break("a\nb", 3) &&
	   !mime_has_line_break("a b", 3), "CR and LF detected, plain text is not");

	/* Mailboxes. */
	{
		static const char *const names[][2] = {
			{ "", "eve@example.org" },
			{ "Eve Example", "Eve Example <eve@example.org>" },
			{ "Example, Eve", "\"Example, Eve\" <eve@example.org>" },
			{ "Eve \"the\" Ex\\ample", "\"Eve \\\"the\\\" Ex\\\\ample\" <eve@example.org>" },
			{ "Zoë Müller", NULL },
			{ "Dr. 山田 太郎 (Cardiology)", NULL },
			{ "=?UTF-8?Q?x?=", NULL },
		};
		size_t i;

		for (i = 0; i < ARRAY_SIZE(names); i++) {
			char why[200] = "";
			struct mailimf_fields *f = NULL;
			size_t idx = 0;

			strbuf_reset(&h);
			ok(mime_add_mailbox(&h, "To", names[i][0], "eve@example.org") == 0,
			   "mailbox '%s' accepted", names[i][0]);
			if (names[i][1]) {
				struct strbuf want = STRBUF_INIT;

				strbuf_addf(&want, "To: %s\r\n", names[i][1]);
				is_str(h.buf, want.buf, "mailbox '%s' written as expected", names[i][0]);
				strbuf_release(&want);
			}
			ok(header_shape_ok(h.buf, 76, why, sizeof(why)), "mailbox '%s' shape (%s)",
			   names[i][0], why);
			strbuf_addstr(&h, "\r\n");
			if (mailimf_fields_parse(h.buf, h.len, &idx, &f) == MAILIMF_NO_ERROR &&
			    clist_count(f->fld_list) == 1) {
				struct mailimf_field *fld = clist_content(clist_begin(f->fld_list));
				struct mailimf_mailbox *mb = NULL;

				if (fld->fld_type == MAILIMF_FIELD_TO &&
				    clist_count(fld->fld_data.fld_to->to_addr_list->ad_list) == 1) {
					struct mailimf_address *a = clist_content(
						clist_begin(fld->fld_data.fld_to->to_addr_list->ad_list));
					if (a->ad_type == MAILIMF_ADDRESS_MAILBOX)
						mb = a->ad_data.ad_mailbox;
				}
				ok(mb && strcmp(mb->mb_addr_spec, "eve@example.org") == 0,
				   "libetpan finds the address for '%s'", names[i][0]);
				if (mb && names[i][0][0]) {
					char *dec = NULL;
					size_t k = 0;
					const char *dn = mb->mb_display_name ? mb->mb_display_name : "";

					mailmime_encoded_phrase_parse("utf-8", dn, strlen(dn), &k, "utf-8", &dec);
					is_str(dec, names[i][0], "libetpan decodes the display name");
					free(dec);
				}
				mailimf_fields_free(f);
			} else {
				ok(0, "libetpan parses the To field of '%s'", names[i][0]);
				if (f)
					mailimf_fields_free(f);
			}
		}
	}
	/* A long non-ASCII name folds into several words. */
	strbuf_reset(&h);
	strbuf_reset(&s);
	for (j = 0; j < 20; j++)
		strbuf_addstr(&s, "Zoë Müller ");
	ok(mime_add_mailbox(&h, "To", s.buf, "eve@example.org") == 0, "long name accepted");
	{
		char why[200] = "";

		ok(header_shape_ok(h.buf, 76, why, sizeof(why)), "long name folded (%s)", why);
	}

	/* Date. */
	strbuf_reset(&h);
	mime_format_date(1795770000, &h);
	is_str(h.buf, "Fri, 27 Nov 2026 09:00:00 +0000", "RFC 5322 date");
	strbuf_reset(&h);
	mime_format_date(0, &h);
	is_str(h.buf, "Thu, 01 Jan 1970 00:00:00 +0000", "epoch date");

	strbuf_release(&h);
	strbuf_release(&s);
}

/* ------------------------------------------------------------------ */
/* Whole messages, parsed back by libetpan                              */

static const char boundary[] = "=_Ab3dEfGh1jKlMn0pQrStUvWxYz";

static void base_message(struct mime_message *m)
{
	memset(m, 0, sizeof(*m));
	m->from_name = "NewsBeat";
	m->from_addr = "newsbeat@example.org";
	m->to_name = "Zoë Müller";
	m->to_addr = "zoe@example.org";
	m->subject = "NewsBeat #42: CMR in heart failure — what’s new";
	m->date = 1795770000;
	m->message_id = "k3j4h5g6f7d8s9a0q1w2e3r4t5@news.example.org";
	m->boundary = boundary;
	m->list_id = "newsbeat.example.org";
	m->list_name = "NewsBeat";
	m->unsubscribe_url = "https://news.example.org/unsubscribe?t=uABC.DEF.GHI";
	m->unsubscribe_mailto = "mailto:unsubscribe@news.example.org?subject=unsubscribe";
	m->archive_url = "https://news.example.org/";
	m->archived_at = "https://news.example.org/issues/issue-42.html";
	m->precedence = "bulk";
}

/* Raw message rules: 7-bit, CRLF only, lines ≤ 998. */
static int wire_ok(const struct strbuf *msg, char *why, size_t wl)
{
	size_t i, col = 0;

	for (i = 0; i < msg->len; i++) {
		unsigned char c = msg->buf[i];

		if (c >= 0x80 || c == 0) {
			snprintf(why, wl, "byte 0x%02x at %zu", c, i);
			return 0;
		}
		if (c == '\r') {
			if (i + 1 >= msg->len || msg->buf[i + 1] != '\n') {
				snprintf(why, wl, "bare CR at %zu", i);
				return 0;
			}
			i++;
			col = 0;
			continue;
		}
		if (c == '\n') {
			snprintf(why, wl, "bare LF at %zu", i);
			return 0;
		}
		if (++col > 998) {
			snprintf(why, wl, "line over 998 at %zu", i);
			return 0;
		}
	}
	return 1;
}

static const char *subtype_of(struct mailmime *mm)
{
	return mm->mm_content_type ? mm->mm_content_type->ct_subtype : "";
}

/* Decode a single part with libetpan and compare it with want (CRLF-normalized). */
static int part_equals(const char *whole, struct mailmime *part, const char *want, size_t wlen,
		       const char *label)
{
	struct mailmime_data *d = part->mm_data.mm_single;
	struct strbuf norm = STRBUF_INIT;
	char *dec = NULL;
	size_t idx = 0, dlen = 0;
	int enc = mailmime_transfer_encoding_get(part->mm_mime_fields), good;

	(void)whole;
	is_int(enc, MAILMIME_MECHANISM_QUOTED_PRINTABLE, "%s is quoted-printable", label);
	if (mailmime_part_parse(d->dt_data.dt_text.dt_data, d->dt_data.dt_text.dt_length, &idx,
				enc, &dec, &dlen) != MAILIMF_NO_ERROR) {
		ok(0, "%s: libetpan decodes it", label);
		return 0;
	}
	normalize_crlf(want, wlen, &norm);
	good = dlen == norm.len && memcmp(dec, norm.buf, dlen) == 0;
	if (!ok(good, "%s decoded by libetpan equals the input byte for byte", label)) {
		diag("got %zu bytes, want %zu", dlen, norm.len);
	}
	/* And through our strict decoder. */
	{
		struct strbuf ours = STRBUF_INIT;
		char why[128] = "";

		ok(qp_decode(d->dt_data.dt_text.dt_data, d->dt_data.dt_text.dt_length, &ours, why,
			     sizeof(why)) == 0 && ours.len == norm.len &&
		   memcmp(ours.buf, norm.buf, ours.len) == 0, "%s: strict QP decoder agrees (%s)",
		   label, why);
		strbuf_release(&ours);
	}
	mailmime_decoded_part_free(dec);
	strbuf_release(&norm);
	return good;
}

/*
 * The second, independent parser: Python's email package via
 * tests/tools/eml_check.py (run from the top of the tree, as make check
 * does).  Its decoded text part must equal our input with LF line ends.
 */
static void python_check(const struct strbuf *msg, const struct mime_message *m, const char *label)
{
	static const char tool[] = "tests/tools/eml_check.py";
	char dir[] = "/tmp/nb-test-mime.XXXXXX";
	struct strbuf path = STRBUF_INIT, cmd = STRBUF_INIT, got = STRBUF_INIT, want = STRBUF_INIT;
	FILE *f;
	size_t i;

	if (access("/usr/bin/python3", X_OK) != 0 || access(tool, R_OK) != 0) {
		skip("no /usr/bin/python3 or not run from the top of the tree");
		return;
	}
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	strbuf_addf(&path, "%s/m.eml", dir);
	f = fopen(path.buf, "wb");
	if (f) {
		fwrite(msg->buf, 1, msg->len, f);
		fclose(f);
	}
	strbuf_addf(&cmd, "/usr/bin/python3 %s %s --text %s/t.txt --html %s/h.html", tool, path.buf,
		    dir, dir);
	ok(system(cmd.buf) == 0, "%s: eml_check.py (Python email, strict) accepts it", label);
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/t.txt", dir);
	strbuf_read_file(&got, path.buf);
	for (i = 0; i < m->text_len; i++) {
		/* eml_check writes LF line ends; a lone CR was a line break too. */
		if (m->text[i] == '\r' && i + 1 < m->text_len && m->text[i + 1] == '\n')
			continue;
		strbuf_addch(&want, m->text[i] == '\r' ? '\n' : m->text[i]);
	}
	ok(got.len == want.len && memcmp(got.buf, want.buf, got.len) == 0,
	   "%s: Python's decoded text part equals the input", label);
	strbuf_reset(&cmd);
	strbuf_addf(&cmd, "rm -rf %s", dir);
	if (system(cmd.buf) != 0)
		diag("could not remove %s", dir);
	strbuf_release(&path);
	strbuf_release(&cmd);
	strbuf_release(&got);
	strbuf_release(&want);
}

static const char *charset_of(struct mailmime *mm)
{
	char *cs = mm->mm_content_type ? mailmime_content_charset_get(mm->mm_content_type) : NULL;

	return cs ? cs : "";
}

static void check_message(const struct mime_message *m, const char *label)
{
	struct strbuf msg = STRBUF_INIT;
	struct mailmime *mime = NULL, *body;
	size_t idx = 0;
	char why[128] = "";

	if (!ok(mime_build(m, &msg) == 0, "%s: builds", label))
		return;
	ok(wire_ok(&msg, why, sizeof(why)), "%s: 7-bit, CRLF only, lines ≤ 998 (%s)", label, why);
	ok(msg.len >= 2 && memcmp(msg.buf + msg.len - 2, "\r\n", 2) == 0, "%s: ends with CRLF", label);
	if (!ok(mailmime_parse(msg.buf, msg.len, &idx, &mime) == MAILIMF_NO_ERROR && mime,
		"%s: libetpan parses it", label))
		goto out;
	body = mime->mm_type == MAILMIME_MESSAGE ? mime->mm_data.mm_message.mm_msg_mime : NULL;
	if (!ok(body && body->mm_type == MAILMIME_MULTIPLE &&
		strcasecmp(subtype_of(body), "alternative") == 0, "%s: multipart/alternative", label))
		goto out;
	{
		clist *parts = body->mm_data.mm_multipart.mm_mp_list;
		struct mailmime *p1, *p2;

		if (!is_int(clist_count(parts), 2, "%s: two parts", label))
			goto out;
		p1 = clist_content(clist_begin(parts));
		p2 = clist_content(clist_next(clist_begin(parts)));
		ok(p1->mm_type == MAILMIME_SINGLE && strcasecmp(subtype_of(p1), "plain") == 0 &&
		   p2->mm_type == MAILMIME_SINGLE && strcasecmp(subtype_of(p2), "html") == 0,
		   "%s: text/plain then text/html", label);
		ok(strcasecmp(charset_of(p1), "UTF-8") == 0 && strcasecmp(charset_of(p2), "UTF-8") == 0,
		   "%s: both charset=UTF-8", label);
		part_equals(msg.buf, p1, m->text ? m->text : "", m->text_len, "text part");
		part_equals(msg.buf, p2, m->html ? m->html : "", m->html_len, "html part");
	}
	/* Headers through libetpan's RFC 5322 parser. */
	{
		struct mailimf_fields *f = mime->mm_data.mm_message.mm_fields;
		clistiter *it;
		int have_subject = 0, have_mid = 0, have_date = 0;

		for (it = clist_begin(f->fld_list); it; it = clist_next(it)) {
			struct mailimf_field *fld = clist_content(it);

			if (fld->fld_type == MAILIMF_FIELD_SUBJECT) {
				char *dec = NULL;
				size_t k = 0;
				const char *v = fld->fld_data.fld_subject->sbj_value;

				mailmime_encoded_phrase_parse("utf-8", v, strlen(v), &k, "utf-8", &dec);
				is_str(dec, m->subject, "%s: subject decodes back", label);
				free(dec);
				have_subject = 1;
			} else if (fld->fld_type == MAILIMF_FIELD_MESSAGE_ID) {
				is_str(fld->fld_data.fld_message_id->mid_value, m->message_id,
				       "%s: Message-ID", label);
				have_mid = 1;
			} else if (fld->fld_type == MAILIMF_FIELD_ORIG_DATE) {
				have_date = fld->fld_data.fld_orig_date->dt_date_time->dt_year == 2026;
			}
		}
		ok(have_subject && have_mid && have_date, "%s: Subject, Message-ID, Date parsed", label);
	}
	ok(strstr(msg.buf, "\r\nList-Id: NewsBeat <newsbeat.example.org>\r\n") != NULL,
	   "%s: List-Id", label);
	ok(strstr(msg.buf, "\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n") != NULL,
	   "%s: List-Unsubscribe-Post", label);
	ok(strstr(msg.buf, "\r\nList-Unsubscribe: <https://news.example.org/unsubscribe?t=uABC.DEF.GHI>,\r\n"
		   " <mailto:unsubscribe@news.example.org?subject=unsubscribe>\r\n") != NULL,
	   "%s: List-Unsubscribe has https and mailto", label);
	ok(strstr(msg.buf, "\r\nArchived-At: <https://news.example.org/issues/issue-42.html>\r\n") &&
	   strstr(msg.buf, "\r\nList-Archive: <https://news.example.org/>\r\n") &&
	   strstr(msg.buf, "\r\nPrecedence: bulk\r\n") && strstr(msg.buf, "\r\nMIME-Version: 1.0\r\n"),
	   "%s: Archived-At, List-Archive, Precedence, MIME-Version", label);
	python_check(&msg, m, label);
out:
	if (mime)
		mailmime_free(mime);
	strbuf_release(&msg);
}

/* Decode part number n (0 or 1) of a parsed multipart with libetpan into out. */
static int etpan_part(struct mailmime *mime, int n, struct strbuf *out)
{
	struct mailmime *body = mime->mm_type == MAILMIME_MESSAGE ?
		mime->mm_data.mm_message.mm_msg_mime : NULL;
	struct mailmime *part;
	struct mailmime_data *d;
	clistiter *it;
	char *dec = NULL;
	size_t idx = 0, dlen = 0;

	if (!body || body->mm_type != MAILMIME_MULTIPLE ||
	    clist_count(body->mm_data.mm_multipart.mm_mp_list) != 2)
		return -1;
	it = clist_begin(body->mm_data.mm_multipart.mm_mp_list);
	if (n)
		it = clist_next(it);
	part = clist_content(it);
	d = part->mm_data.mm_single;
	if (mailmime_part_parse(d->dt_data.dt_text.dt_data, d->dt_data.dt_text.dt_length, &idx,
				mailmime_transfer_encoding_get(part->mm_mime_fields), &dec,
				&dlen) != MAILIMF_NO_ERROR)
		return -1;
	strbuf_add(out, dec, dlen);
	mailmime_decoded_part_free(dec);
	return 0;
}

/* Random bodies through mime_build and back through libetpan. */
static void test_build_random(void)
{
	static const char *const alpha[] = { " ", "\t", "\n", "\r\n", "\r", ".", "From ", "=",
		"=_", "--", "a", "Z", "é", "心", "😀", "\x01", "\x7f", "<p>", "\xff" };
	struct strbuf text = STRBUF_INIT, html = STRBUF_INIT, msg = STRBUF_INIT;
	struct strbuf got = STRBUF_INIT, want = STRBUF_INIT;
	struct mime_message m;
	unsigned seed = 777;
	int j, k, fails = 0;
	char why[128] = "";

	for (j = 0; j < 300; j++) {
		struct mailmime *mime = NULL;
		size_t idx = 0;
		int n;

		strbuf_reset(&text);
		strbuf_reset(&html);
		n = (int)((seed = seed * 1103515245 + 12345) >> 16) % 400;
		for (k = 0; k < n; k++) {
			seed = seed * 1103515245 + 12345;
			strbuf_addstr(&text, alpha[(seed >> 16) % ARRAY_SIZE(alpha)]);
			seed = seed * 1103515245 + 12345;
			strbuf_addstr(&html, alpha[(seed >> 16) % ARRAY_SIZE(alpha)]);
		}
		base_message(&m);
		m.text = text.buf;
		m.text_len = text.len;
		m.html = html.buf;
		m.html_len = html.len;
		strbuf_reset(&msg);
		if (mime_build(&m, &msg) < 0 || !wire_ok(&msg, why, sizeof(why)) ||
		    mailmime_parse(msg.buf, msg.len, &idx, &mime) != MAILIMF_NO_ERROR) {
			if (!fails++)
				diag("random message %d: build/wire/parse failed %s", j, why);
			continue;
		}
		for (k = 0; k < 2; k++) {
			strbuf_reset(&got);
			strbuf_reset(&want);
			normalize_crlf(k ? html.buf : text.buf, k ? html.len : text.len, &want);
			if (etpan_part(mime, k, &got) < 0 || got.len != want.len ||
			    memcmp(got.buf, want.buf, got.len) != 0) {
				if (!fails++)
					diag("random message %d part %d differs after libetpan", j, k);
			}
		}
		mailmime_free(mime);
	}
	ok(!fails, "300 random messages: wire rules hold, libetpan gives both parts back exactly (%d failures)",
	   fails);
	strbuf_release(&text);
	strbuf_release(&html);
	strbuf_release(&msg);
	strbuf_release(&got);
	strbuf_release(&want);
}

static void test_build(void)
{
	struct mime_message m;
	struct strbuf text = STRBUF_INIT, html = STRBUF_INIT, out = STRBUF_INIT;
	int j;

	strbuf_addstr(&text, "Dear Zoë,\n\nFrom the editor: trailing space \n.\n. dot\n"
		      "tab\t\n=== equals ===\n心臓MRI 😀\n");
	for (j = 0; j < 2000; j++)
		strbuf_addch(&text, "abcdé "[j % 6]);
	strbuf_addstr(&text, "\nno newline at the end ");
	strbuf_addstr(&html, "<!DOCTYPE html>\n<html><body style=\"margin:0\">\n<p>Grüße</p>\n");
	for (j = 0; j < 300; j++)
		strbuf_addstr(&html, "<td style=\"padding:0 24px\">x</td>");
	strbuf_addstr(&html, "\n</body></html>\n");

	base_message(&m);
	m.text = text.buf;
	m.text_len = text.len;
	m.html = html.buf;
	m.html_len = html.len;
	check_message(&m, "newsletter");

	base_message(&m);
	m.text = "";
	m.text_len = 0;
	m.html = "<p>x</p>";
	m.html_len = 8;
	check_message(&m, "empty text part");

	base_message(&m);
	m.text = "a\r\nb\rc\n";
	m.text_len = 7;
	m.html = "\n\n\n";
	m.html_len = 3;
	m.subject = "plain ascii subject";
	m.to_name = NULL;
	check_message(&m, "CRLF and CR input, no name");

	/* Reproducible: same input, same bytes. */
	{
		struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;

		base_message(&m);
		m.text = text.buf;
		m.text_len = text.len;
		mime_build(&m, &a);
		mime_build(&m, &b);
		ok(a.len == b.len && memcmp(a.buf, b.buf, a.len) == 0, "output is reproducible");
		ok(strstr(a.buf, "Content-Type: multipart/alternative;\r\n boundary=\"=_Ab3dEfGh1jKlMn0pQrStUvWxYz\"\r\n") != NULL,
		   "boundary parameter quoted");
		strbuf_release(&a);
		strbuf_release(&b);
	}

	/* The exact bytes on the wire for a small message: the format, reviewed. */
	{
		static const char want[] =
		"From: NewsBeat <newsbeat@example.org>\r\n"
		"To: =?UTF-8?B?Wm/DqyBNw7xsbGVy?= <zoe@example.org>\r\n"
		"Subject: =?UTF-8?Q?NewsBeat_=2342=3A_CMR_in_heart_failure_=E2=80=94_what?=\r\n"
		" =?UTF-8?Q?=E2=80=99s_new?=\r\n"
		"Date: Fri, 27 Nov 2026 09:00:00 +0000\r\n"
		"Message-ID: <k3j4h5g6f7d8s9a0q1w2e3r4t5@news.example.org>\r\n"
		"MIME-Version: 1.0\r\n"
		"List-Id: NewsBeat <newsbeat.example.org>\r\n"
		"List-Unsubscribe: <https://news.example.org/unsubscribe?t=uABC.DEF.GHI>,\r\n"
		" <mailto:unsubscribe@news.example.org?subject=unsubscribe>\r\n"
		"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
		"List-Archive: <https://news.example.org/>\r\n"
		"Archived-At: <https://news.example.org/issues/issue-42.html>\r\n"
		"Precedence: bulk\r\n"
		"Content-Type: multipart/alternative;\r\n"
		" boundary=\"=_Ab3dEfGh1jKlMn0pQrStUvWxYz\"\r\n"
		"\r\n"
		"--=_Ab3dEfGh1jKlMn0pQrStUvWxYz\r\n"
		"Content-Type: text/plain; charset=UTF-8\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n"
		"\r\n"
		"Dear Zo=C3=AB,\r\n"
		"\r\n"
		"=46rom the editor:=20\r\n"
		"=2E\r\n"
		"\r\n"
		"--=_Ab3dEfGh1jKlMn0pQrStUvWxYz\r\n"
		"Content-Type: text/html; charset=UTF-8\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n"
		"\r\n"
		"<p>Gr=C3=BC=C3=9Fe</p>\r\n"
		"--=_Ab3dEfGh1jKlMn0pQrStUvWxYz--\r\n";
		struct strbuf a = STRBUF_INIT;

		base_message(&m);
		m.text = "Dear Zoë,\n\nFrom the editor: \n.\n";
		m.text_len = strlen(m.text);
		m.html = "<p>Grüße</p>";
		m.html_len = strlen(m.html);
		ok(mime_build(&m, &a) == 0, "golden message builds");
		if (!is_str(a.buf, want, "golden message: exact bytes"))
			diag("got:\n%s", a.buf);
		strbuf_release(&a);
	}

	/* Refusals: nothing written, error names the field. */
	{
		static const struct {
			const char *what, *field;
			int which;
			const char *value;
		} bad[] = {
			{ "subject with CRLF", "Subject", 0, "Hi\r\nBcc: victim@example.org" },
			{ "subject with LF", "Subject", 0, "Hi\nBcc: victim@example.org" },
			{ "subject invalid UTF-8", "Subject", 0, "Hi \xe2\x82" },
			{ "to name with LF", "To", 1, "Eve\nBcc: victim@example.org" },
			{ "to name with CR", "To", 1, "Eve\r" },
			{ "to name invalid UTF-8", "To", 1, "\xff" },
			{ "from name with CRLF", "From", 2, "News\r\nBcc: x@example.org" },
			{ "to address with CRLF", "To", 3, "a@example.org\r\nBcc: x@example.org" },
			{ "to address with space", "To", 3, "a@example.org x" },
			{ "unsubscribe URL with CRLF", "List-Unsubscribe", 4, "https://x/\r\nBcc: y" },
			{ "unsubscribe URL with space", "List-Unsubscribe", 4, "https://x/ y" },
			{ "unsubscribe URL with '>'", "List-Unsubscribe", 4, "https://x/>, <https://evil/" },
			{ "unsubscribe URL not http(s)", "List-Unsubscribe", 4, "javascript:alert(1)" },
			{ "mailto not mailto", "List-Unsubscribe", 5, "https://x/" },
			{ "archived-at with NUL-free junk", "Archived-At", 6, "https://x/\x01" },
			{ "boundary without =_", "boundary", 7, "Ab3dEfGh1jKlMn0pQrStUvWxYz12" },
			{ "boundary too short", "boundary", 7, "=_abc" },
			{ "boundary bad char", "boundary", 7, "=_Ab3dEfGh1jKlMn0pQrStUvWxYz-" },
			{ "boundary with CRLF", "boundary", 7, "=_Ab3dEfGh1jKlMn0pQrStUvWxYz\r\n" },
			{ "message-id with >", "Message-ID", 8, "a>b@c" },
			{ "message-id without @", "Message-ID", 8, "abc" },
			{ "message-id with CRLF", "Message-ID", 8, "a@b\r\nBcc: x" },
			{ "list name with LF", "List-Id", 9, "News\nBcc: x" },
			{ "precedence with CRLF", "Precedence", 10, "bulk\r\nBcc: x" },
			{ "extra header bare LF", "extra headers", 11, "X-A: 1\nBcc: x\r\n" },
			{ "extra header no colon", "extra headers", 11, "Bcc x\r\n" },
			{ "extra header 8-bit", "extra headers", 11, "X-A: \xc3\xa9\r\n" },
		};
		size_t i;

		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			base_message(&m);
			m.text = "t";
			m.text_len = 1;
			m.html = "h";
			m.html_len = 1;
			switch (bad[i].which) {
			case 0: m.subject = bad[i].value; break;
			case 1: m.to_name = bad[i].value; break;
			case 2: m.from_name = bad[i].value; break;
			case 3: m.to_addr = bad[i].value; break;
			case 4: m.unsubscribe_url = bad[i].value; break;
			case 5: m.unsubscribe_mailto = bad[i].value; break;
			case 6: m.archived_at = bad[i].value; break;
			case 7: m.boundary = bad[i].value; break;
			case 8: m.message_id = bad[i].value; break;
			case 9: m.list_name = bad[i].value; break;
			case 10: m.precedence = bad[i].value; break;
			case 11: m.extra_headers = bad[i].value; break;
			}
			strbuf_reset(&out);
			strbuf_addstr(&out, "KEEP");
			errors_seen = 0;
			last_error[0] = '\0';
			ok(mime_build(&m, &out) < 0 && strcmp(out.buf, "KEEP") == 0,
			   "refused: %s (output untouched)", bad[i].what);
			ok(errors_seen >= 1 && strstr(last_error, bad[i].field) != NULL,
			   "error names '%s': %s", bad[i].field, last_error);
		}
	}
	/* Extra headers that are fine go in verbatim. */
	base_message(&m);
	m.extra_headers = "X-Newsbeat-Issue: 42\r\nX-Long: a\r\n b\r\n";
	m.text = "t";
	m.text_len = 1;
	strbuf_reset(&out);
	ok(mime_build(&m, &out) == 0 && strstr(out.buf, "\r\nX-Newsbeat-Issue: 42\r\nX-Long: a\r\n b\r\n"),
	   "valid extra headers written");

	strbuf_release(&text);
	strbuf_release(&html);
	strbuf_release(&out);
}

/*
 * Python's email package must decode Subject and the To display name back
 * to exactly what went in: a second decoder, independent of libetpan.
 */
static void test_python_headers(void)
{
	static const char *const subjects[] = {
		"plain ascii",
		"Grüße aus Köln",
		"🫀 NewsBeat ❤️ 😀 emoji",
		"NewsBeat #42 — 心臓MRI, Grüße and emoji 😀 with underscores_and=equals?",
		"please read =?UTF-8?Q?this?= as text",
		"Re: [news] (draft) \"quoted\" <x> a_b=c?d",
		" leading and trailing space ",
		"tab\tinside",
		"ctrl \x1b[31m red",
	};
	static const char *const names[] = {
		"Eve Example", "Example, Eve", "Eve \"the\" Ex\\ample", "Zoë Müller",
		"Dr. 山田 太郎 (Cardiology)", "=?UTF-8?Q?x?=", "a  b", "x <y@z>",
		/* not "tab\tname": Python turns whitespace in a phrase into a space */
	};
	struct strbuf s = STRBUF_INIT, hdr = STRBUF_INIT, cmd = STRBUF_INIT, got = STRBUF_INIT;
	char dir[] = "/tmp/nb-test-mime.XXXXXX";
	size_t i;
	int j;
	FILE *f;

	if (access("/usr/bin/python3", X_OK) != 0 || !mkdtemp(dir)) {
		skip("no /usr/bin/python3");
		return;
	}
	for (j = 0; j < 40; j++)
		strbuf_addstr(&s, "心臓磁気共鳴");
	for (i = 0; i < ARRAY_SIZE(subjects) + ARRAY_SIZE(names) + 1; i++) {
		const char *subj = i < ARRAY_SIZE(subjects) ? subjects[i] : "x";
		const char *name = i >= ARRAY_SIZE(subjects) && i - ARRAY_SIZE(subjects) < ARRAY_SIZE(names)
			? names[i - ARRAY_SIZE(subjects)] : "n";
		const char *want = i < ARRAY_SIZE(subjects) ? subj : name;
		int is_subject = i < ARRAY_SIZE(subjects);

		if (i == ARRAY_SIZE(subjects) + ARRAY_SIZE(names)) {
			subj = want = s.buf;	/* long CJK subject */
			is_subject = 1;
		}
		strbuf_reset(&hdr);
		if (mime_add_mailbox(&hdr, "To", name, "eve@example.org") < 0 ||
		    mime_add_unstructured(&hdr, "Subject", subj) < 0) {
			ok(0, "python: header for '%s' built", want);
			continue;
		}
		strbuf_addstr(&hdr, "\r\nbody\r\n");
		strbuf_reset(&cmd);
		strbuf_addf(&cmd, "%s/h.eml", dir);
		f = fopen(cmd.buf, "wb");
		if (!f)
			break;
		fwrite(hdr.buf, 1, hdr.len, f);
		fclose(f);
		strbuf_reset(&cmd);
		strbuf_addf(&cmd,
			    "/usr/bin/python3 -c 'import sys, email, email.policy as P\n"
			    "m = email.message_from_binary_file(open(sys.argv[1], \"rb\"), policy=P.default.clone(raise_on_defect=True))\n"
			    "v = str(m[\"Subject\"]) if sys.argv[2] == \"s\" else m[\"To\"].addresses[0].display_name\n"
			    "d = [x for x in m[\"Subject\"].defects + m[\"To\"].defects]\n"
			    "sys.stdout.buffer.write(v.encode() if not d else b\"DEFECT \" + repr(d).encode())' "
			    "%s/h.eml %s > %s/out", dir, is_subject ? "s" : "n", dir);
		strbuf_reset(&got);
		if (system(cmd.buf) == 0) {
			strbuf_reset(&cmd);
			strbuf_addf(&cmd, "%s/out", dir);
			strbuf_read_file(&got, cmd.buf);
		}
		if (!is_str(got.buf, want, "python decodes %s exactly", is_subject ? "subject" : "name"))
			diag("header: %s", hdr.buf);
	}
	strbuf_reset(&cmd);
	strbuf_addf(&cmd, "rm -rf %s", dir);
	if (system(cmd.buf) != 0)
		diag("could not remove %s", dir);
	strbuf_release(&s);
	strbuf_release(&hdr);
	strbuf_release(&cmd);
	strbuf_release(&got);
}

int main(void)
{
	set_report_routine(record);
	test_qp();
	test_qp_random();
	test_base64();
	test_headers();
	test_build();
	test_build_random();
	test_python_headers();
	return tap_done();
}
