/*
 * Tokens and Message-IDs keyed by the server secret (see token.h).
 *
 * nettle is included here only.  Verification rebuilds the token from the
 * address and list it claims to carry and compares the two strings in
 * constant time: any change to any character — including base64 bits a
 * lenient decoder would ignore — makes the strings differ.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "core/token.h"

#include <limits.h>
#include <sys/random.h>
#include <nettle/hmac.h>
#include <nettle/sha2.h>
#include <nettle/memops.h>

/* 16 bytes of HMAC-SHA256 (128 bits): 22 base64url characters. */
#define TOKEN_MAC_BYTES 16
/* Longest email or list name a token may carry. */
#define TOKEN_FIELD_MAX 1024

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* RFC 4648 §5, without padding. */
static void b64url_encode(const unsigned char *s, size_t n, struct strbuf *out)
{
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];

		strbuf_addch(out, b64url[v >> 18]);
		strbuf_addch(out, b64url[(v >> 12) & 63]);
		strbuf_addch(out, b64url[(v >> 6) & 63]);
		strbuf_addch(out, b64url[v & 63]);
	}
	if (n - i == 2) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;

		strbuf_addch(out, b64url[v >> 18]);
		strbuf_addch(out, b64url[(v >> 12) & 63]);
		strbuf_addch(out, b64url[(v >> 6) & 63]);
	} else if (n - i == 1) {
		uint32_t v = (uint32_t)s[i] << 16;

		strbuf_addch(out, b64url[v >> 18]);
		strbuf_addch(out, b64url[(v >> 12) & 63]);
	}
}

static int b64url_value(char c)
{
	const char *p;

	if (!c)
		return -1;
	p = strchr(b64url, c);
	return p ? (int)(p - b64url) : -1;
}

/*
 * Decode s[0..n) into out.  Returns -1 on any character outside the
 * alphabet or an impossible length; leftover bits need not be zero here
 * because the caller re-encodes and compares.
 */
static int b64url_decode(const char *s, size_t n, struct strbuf *out)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t i;

	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		int v = b64url_value(s[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			strbuf_addch(out, (int)((acc >> bits) & 0xff));
		}
	}
	return 0;
}

void token_hmac(const char *secret, const void *data, size_t len, unsigned char mac[32])
{
	struct hmac_sha256_ctx ctx;

	if (!secret)
		BUG("token_hmac without a secret");
	hmac_sha256_set_key(&ctx, strlen(secret), (const uint8_t *)secret);
	hmac_sha256_update(&ctx, len, data);
	hmac_sha256_digest(&ctx, SHA256_DIGEST_SIZE, mac);
}

/*
 * The MAC input: purpose NUL email NUL list, then NUL time for a timed
 * token (NUL cannot occur in any of them).
 */
static void token_mac(const char *secret, enum token_purpose p, const char *email,
		      const char *list, const char *issued, unsigned char mac[32])
{
	struct strbuf data = STRBUF_INIT;

	strbuf_addch(&data, (int)p);
	strbuf_addch(&data, '\0');
	strbuf_addstr(&data, email);
	strbuf_addch(&data, '\0');
	strbuf_addstr(&data, list);
	if (issued) {
		strbuf_addch(&data, '\0');
		strbuf_addstr(&data, issued);
	}
	token_hmac(secret, data.buf, data.len, mac);
	strbuf_release(&data);
}

/* `issued`: the decimal issue time of a timed token, or NULL. */
static void token_build(const char *secret, enum token_purpose p, const char *email,
			const char *list, const char *issued, struct strbuf *out)
{
	unsigned char mac[32];

	token_mac(secret, p, email, list, issued, mac);
	strbuf_addch(out, (int)p);
	b64url_encode((const unsigned char *)email, strlen(email), out);
	strbuf_addch(out, '.');
	b64url_encode((const unsigned char *)list, strlen(list), out);
	strbuf_addch(out, '.');
	if (issued) {
		strbuf_addstr(out, issued);
		strbuf_addch(out, '.');
	}
	b64url_encode(mac, TOKEN_MAC_BYTES, out);
}

void token_make(const char *secret, enum token_purpose p, const char *email,
		const char *list, struct strbuf *out)
{
	token_build(secret, p, email, list, NULL, out);
}

void token_make_timed(const char *secret, enum token_purpose p, const char *email,
		      const char *list, int64_t issued, struct strbuf *out)
{
	char t[24];

	if (issued < 0)
		BUG("token issued before 1970");
	snprintf(t, sizeof(t), "%lld", (long long)issued);
	token_build(secret, p, email, list, t, out);
}

/*
 * Split and check a token with 3 (untimed) or 4 (timed) dot-separated
 * fields.  The rebuilt token is compared whole, so a time written with
 * leading zeros or a sign is rejected like any other change.
 */
/* On failure *why (when why is non-NULL) says which check failed. */
#define REJECT(reason) do { if (why) *why = (reason); } while (0)
static int verify(const char *secret, enum token_purpose p, const char *token, int timed,
		  char **email, char **list, int64_t *issued, const char **why)
{
	struct strbuf e = STRBUF_INIT, l = STRBUF_INIT, want = STRBUF_INIT, t = STRBUF_INIT;
	const char *dot1, *dot2, *dot3 = NULL, *end;
	size_t tlen;
	int r = -1;

	*email = *list = NULL;
	REJECT("malformed: cut short or changed");
	if (!secret || !*secret) {
		REJECT("no secret to verify with");
		return -1;
	}
	if (!token) {
		REJECT("the link has no token");
		return -1;
	}
	tlen = strlen(token);
	if (tlen < 2 || tlen > 4 * TOKEN_FIELD_MAX)
		return -1;
	if (token[0] != (char)p) {
		REJECT("a token made for another kind of link");
		return -1;
	}
	dot1 = strchr(token + 1, '.');
	if (!dot1)
		return -1;
	dot2 = strchr(dot1 + 1, '.');
	if (!dot2)
		return -1;
	end = dot2;
	if (timed) {
		dot3 = strchr(dot2 + 1, '.');
		if (!dot3)
			return -1;
		end = dot3;
	}
	if (strchr(end + 1, '.'))
		return -1;
	if (b64url_decode(token + 1, (size_t)(dot1 - token - 1), &e) < 0 ||
	    b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &l) < 0)
		goto out;
	/* A NUL inside would make the C strings below differ from the MAC input. */
	if (memchr(e.buf, '\0', e.len) || memchr(l.buf, '\0', l.len))
		goto out;
	if (timed) {
		size_t n = (size_t)(dot3 - dot2 - 1);
		unsigned long long v = 0;
		size_t i;

		/* At most 15 digits: no overflow, and far beyond any real clock. */
		if (!n || n > 15)
			goto out;
		for (i = 0; i < n; i++) {
			char c = dot2[1 + i];

			if (c < '0' || c > '9')
				goto out;
			v = v * 10 + (unsigned)(c - '0');
		}
		strbuf_add(&t, dot2 + 1, n);
		*issued = (int64_t)v;
	}
	token_build(secret, p, e.buf, l.buf, timed ? t.buf : NULL, &want);
	if (want.len != tlen || !memeql_sec(want.buf, token, tlen)) {
		REJECT("the signature does not match: signed with another secret, or changed");
		goto out;
	}
	*email = strbuf_detach(&e, NULL);
	*list = strbuf_detach(&l, NULL);
	r = 0;
out:
	strbuf_release(&e);
	strbuf_release(&l);
	strbuf_release(&t);
	strbuf_release(&want);
	return r;
}

int token_verify(const char *secret, enum token_purpose p, const char *token,
		 char **email, char **list)
{
	return verify(secret, p, token, 0, email, list, NULL, NULL);
}

const char *token_reject_reason(const char *secret, enum token_purpose p, const char *token,
				int timed)
{
	const char *why = NULL;
	char *email, *list;
	int64_t when;

	if (verify(secret, p, token, timed, &email, &list, &when, &why) == 0) {
		free(email);
		free(list);
		return NULL;
	}
	return why;
}

int token_verify_timed(const char *secret, enum token_purpose p, const char *token,
		       char **email, char **list, int64_t *issued)
{
	int64_t when = 0;
	int r = verify(secret, p, token, 1, email, list, &when, NULL);

	if (!r)
		*issued = when;
	return r;
}

void token_message_id(const char *secret, int issue, const char *email, struct strbuf *out)
{
	/* RFC 4648 §6 alphabet, lower case: Message-IDs are compared as written. */
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	struct strbuf data = STRBUF_INIT;
	unsigned char mac[32];
	int i;

	strbuf_addstr(&data, "msgid");
	strbuf_addch(&data, '\0');
	strbuf_addf(&data, "%d", issue);
	strbuf_addch(&data, '\0');
	strbuf_addstr(&data, email);
	token_hmac(secret, data.buf, data.len, mac);
	strbuf_release(&data);
	/* 26 characters × 5 bits = 130 bits from the first 17 bytes. */
	for (i = 0; i < 26; i++) {
		int bit = i * 5, byte = bit / 8, shift = bit % 8;
		unsigned v = ((unsigned)mac[byte] << 8 | mac[byte + 1]) >> (11 - shift);

		strbuf_addch(out, b32[v & 31]);
	}
}

int token_random(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return error("getrandom: %s", strerror(errno));
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/*
 * Random bytes from a per-thread pool refilled 4 KiB at a time: a send
 * asks for a MIME boundary per message, and one getrandom() call per
 * message was a system call too many.  Boundaries and Message-IDs need
 * unpredictable, unique text, not secrets; token_random() stays direct.
 */
static int pooled_byte(unsigned char *c)
{
	static _Thread_local unsigned char pool[4096];
	static _Thread_local size_t avail;

	if (!avail) {
		if (token_random(pool, sizeof(pool)) < 0)
			return -1;
		avail = sizeof(pool);
	}
	*c = pool[--avail];
	pool[avail] = 0;	/* a byte is used once */
	return 0;
}

int token_random_alnum(size_t n, struct strbuf *out)
{
	static const char alnum[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

	while (n > 0) {
		unsigned char c;

		if (pooled_byte(&c) < 0)
			return -1;
		/* Rejection sampling: 248 = 4 × 62, so the choice stays uniform. */
		if (c >= 248)
			continue;
		strbuf_addch(out, alnum[c % 62]);
		n--;
	}
	return 0;
}

#define VERP_MAC_CHARS 16	/* × 5 bits = 80 bits */
#define VERP_LOCAL_MAX 64	/* RFC 5321 4.5.3.1.1 */

static void base36(unsigned long long v, struct strbuf *out)
{
	char tmp[16];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
		v /= 36;
	} while (v);
	while (n)
		strbuf_addch(out, tmp[--n]);
}

/* The MAC part of a VERP token: 16 base32 characters. */
static void verp_mac(const char *secret, int issue, long long row, struct strbuf *out)
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	struct strbuf data = STRBUF_INIT;
	unsigned char mac[32];
	int i;

	strbuf_addstr(&data, "verp");
	strbuf_addch(&data, '\0');
	strbuf_addf(&data, "%d", issue);
	strbuf_addch(&data, '\0');
	strbuf_addf(&data, "%lld", row);
	token_hmac(secret, data.buf, data.len, mac);
	strbuf_release(&data);
	for (i = 0; i < VERP_MAC_CHARS; i++) {
		int bit = i * 5, byte = bit / 8, shift = bit % 8;
		unsigned v = ((unsigned)mac[byte] << 8 | mac[byte + 1]) >> (11 - shift);

		strbuf_addch(out, b32[v & 31]);
	}
}

void token_verp_make(const char *secret, int issue, long long row, struct strbuf *out)
{
	if (issue < 0 || row < 0)
		BUG("token_verp_make: negative issue or row");
	base36((unsigned long long)issue, out);
	strbuf_addch(out, '-');
	base36((unsigned long long)row, out);
	strbuf_addch(out, '-');
	verp_mac(secret, issue, row, out);
}

/* A base36 number of at most `max` digits, no leading zero; the end in *end. */
static int parse_base36(const char *s, int max, unsigned long long *v, const char **end)
{
	int n = 0;

	*v = 0;
	while ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z')) {
		if (++n > max)
			return -1;
		*v = *v * 36 + (unsigned long long)(*s <= '9' ? *s - '0' : *s - 'a' + 10);
		s++;
	}
	*end = s;
	return n ? 0 : -1;
}

int token_verp_verify(const char *secret, const char *token, int *issue, long long *row)
{
	struct strbuf low = STRBUF_INIT, want = STRBUF_INIT;
	unsigned long long i, r;
	const char *p;
	int ret = -1;

	if (!secret || !*secret || !token || strlen(token) > VERP_LOCAL_MAX)
		return -1;
	for (p = token; *p; p++)
		strbuf_addch(&low, *p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	/* 6 base36 digits hold any issue number people use; 12 any row id. */
	if (parse_base36(low.buf, 6, &i, &p) < 0 || *p != '-' ||
	    parse_base36(p + 1, 12, &r, &p) < 0 || *p != '-')
		goto out;
	/* Anyone can mail "bounces+zzzzzz-...": a number no issue can have is no token. */
	if (i > INT_MAX || r > LLONG_MAX)
		goto out;
	token_verp_make(secret, (int)i, (long long)r, &want);
	if (want.len == low.len && memeql_sec(want.buf, low.buf, low.len)) {
		*issue = (int)i;
		*row = (long long)r;
		ret = 0;
	}
out:
	strbuf_release(&low);
	strbuf_release(&want);
	return ret;
}

int token_verp_address(const char *secret, const char *envelope, int issue, long long row,
		       struct strbuf *out)
{
	const char *at = strrchr(envelope, '@');
	struct strbuf tok = STRBUF_INIT;
	size_t local;
	int ret = -1;

	if (!at || at == envelope || envelope[0] == '"')
		return -1;
	local = (size_t)(at - envelope);
	if (memchr(envelope, '+', local))
		return -1;
	token_verp_make(secret, issue, row, &tok);
	if (local + 1 + tok.len <= VERP_LOCAL_MAX) {
		strbuf_add(out, envelope, local);
		strbuf_addch(out, '+');
		strbuf_addbuf(out, &tok);
		strbuf_addstr(out, at);
		ret = 0;
	}
	strbuf_release(&tok);
	return ret;
}

int token_verp_find(const char *secret, const char *address, int *issue, long long *row)
{
	const char *at, *plus;
	char *tok;
	int r;

	if (!address)
		return -1;
	at = strrchr(address, '@');
	plus = strchr(address, '+');
	if (!at || !plus || plus > at)
		return -1;
	tok = xstrndup(plus + 1, (size_t)(at - plus - 1));
	r = token_verp_verify(secret, tok, issue, row);
	free(tok);
	return r;
}

void token_digest(const void *data, size_t len, char hex[65])
{
	struct sha256_ctx ctx;
	unsigned char d[SHA256_DIGEST_SIZE];
	int i;

	sha256_init(&ctx);
	sha256_update(&ctx, len, data);
	sha256_digest(&ctx, sizeof(d), d);
	for (i = 0; i < SHA256_DIGEST_SIZE; i++) {
		hex[2 * i] = "0123456789abcdef"[d[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[d[i] & 15];
	}
	hex[64] = '\0';
}
