/*
 * token.c: tokens round trip, and nothing else verifies — a wrong secret or
 * purpose, any single-character change, any truncation, random strings.
 * Message-IDs are stable per (issue, email) and differ otherwise.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "core/token.h"
#include "tap.h"

static const char secret[] = "correct horse battery staple";

static int verifies(const char *tok, enum token_purpose p)
{
	char *e = NULL, *l = NULL;
	int r = token_verify(secret, p, tok, &e, &l);

	if (r == 0 && (!e || !l))
		return 2;	/* success without outputs is a bug too */
	if (r != 0 && (e || l))
		return 2;
	free(e);
	free(l);
	return r == 0;
}

static void test_roundtrip(void)
{
	static const char *const emails[] = {
		"zoe@example.org", "a@b.c", "\"quoted.local\"@example.org",
		"very.long.address.with.many.parts+tag@sub.domain.example.org", "x@xn--mnchen-3ya.de",
	};
	static const char *const lists[] = { "members", "", "éditeurs", "a.b-c_d" };
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(emails); i++)
		for (j = 0; j < ARRAY_SIZE(lists); j++) {
			struct strbuf t = STRBUF_INIT;
			char *e = NULL, *l = NULL;
			size_t k;
			int urlsafe = 1;

			token_make(secret, TOKEN_UNSUBSCRIBE, emails[i], lists[j], &t);
			for (k = 0; k < t.len; k++)
				if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.",
					    t.buf[k]))
					urlsafe = 0;
			ok(urlsafe, "token for %s/%s is URL-safe: %s", emails[i], lists[j], t.buf);
			ok(token_verify(secret, TOKEN_UNSUBSCRIBE, t.buf, &e, &l) == 0 && e && l &&
			   strcmp(e, emails[i]) == 0 && strcmp(l, lists[j]) == 0,
			   "round trip %s / '%s'", emails[i], lists[j]);
			free(e);
			free(l);
			ok(!verifies(t.buf, TOKEN_CONFIRM), "wrong purpose rejected");
			e = l = NULL;
			ok(token_verify("another secret", TOKEN_UNSUBSCRIBE, t.buf, &e, &l) < 0 && !e && !l,
			   "wrong secret rejected");
			ok(token_verify("", TOKEN_UNSUBSCRIBE, t.buf, &e, &l) < 0 &&
			   token_verify(NULL, TOKEN_UNSUBSCRIBE, t.buf, &e, &l) < 0,
			   "empty or missing secret never verifies");
			strbuf_release(&t);
		}
}

static void test_mutations(void)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ %\x01\xff";
	struct strbuf t = STRBUF_INIT, m = STRBUF_INIT;
	size_t i, k;
	long tried = 0, accepted = 0, trunc_accepted = 0;

	token_make(secret, TOKEN_UNSUBSCRIBE, "zoe@example.org", "members", &t);
	ok(verifies(t.buf, TOKEN_UNSUBSCRIBE) == 1, "the original verifies");
	/* The MAC is the last 22 characters: 16 bytes = 128 bits. */
	ok(strlen(strrchr(t.buf, '.') + 1) == 22, "MAC is 22 base64url characters (128 bits)");

	for (i = 0; i < t.len; i++)
		for (k = 0; k < sizeof(alphabet) - 1; k++) {
			if (alphabet[k] == t.buf[i])
				continue;
			strbuf_reset(&m);
			strbuf_addbuf(&m, &t);
			m.buf[i] = alphabet[k];
			tried++;
			if (verifies(m.buf, TOKEN_UNSUBSCRIBE))
				accepted++;
		}
	ok(tried > 3000 && accepted == 0, "every single-character substitution rejected (%ld tried, %ld accepted)",
	   tried, accepted);
	/* Deletions and insertions too. */
	accepted = 0;
	for (i = 0; i < t.len; i++) {
		strbuf_reset(&m);
		strbuf_add(&m, t.buf, i);
		strbuf_addstr(&m, t.buf + i + 1);
		if (verifies(m.buf, TOKEN_UNSUBSCRIBE))
			accepted++;
		strbuf_reset(&m);
		strbuf_add(&m, t.buf, i);
		strbuf_addch(&m, 'A');
		strbuf_addstr(&m, t.buf + i);
		if (verifies(m.buf, TOKEN_UNSUBSCRIBE))
			accepted++;
	}
	ok(accepted == 0, "every single-character deletion and insertion rejected");
	for (i = 0; i < t.len; i++) {
		strbuf_reset(&m);
		strbuf_add(&m, t.buf, i);
		if (verifies(m.buf, TOKEN_UNSUBSCRIBE))
			trunc_accepted++;
	}
	ok(trunc_accepted == 0, "every truncation rejected (%zu)", t.len);
	strbuf_reset(&m);
	strbuf_addbuf(&m, &t);
	strbuf_addstr(&m, "A");
	ok(!verifies(m.buf, TOKEN_UNSUBSCRIBE), "appended character rejected");
	ok(!verifies("", TOKEN_UNSUBSCRIBE) && !verifies("u", TOKEN_UNSUBSCRIBE) &&
	   !verifies("u..", TOKEN_UNSUBSCRIBE) && !verifies("u...", TOKEN_UNSUBSCRIBE),
	   "degenerate tokens rejected");

	/* A token for another address does not verify when spliced. */
	{
		struct strbuf o = STRBUF_INIT;
		const char *mac_t, *mac_o;

		token_make(secret, TOKEN_UNSUBSCRIBE, "eve@example.org", "members", &o);
		mac_t = strrchr(t.buf, '.');
		mac_o = strrchr(o.buf, '.');
		strbuf_reset(&m);
		strbuf_add(&m, o.buf, (size_t)(mac_o - o.buf));
		strbuf_addstr(&m, mac_t);
		ok(!verifies(m.buf, TOKEN_UNSUBSCRIBE), "MAC of one address on another's token rejected");
		strbuf_release(&o);
	}
	strbuf_release(&t);
	strbuf_release(&m);
}

static void test_random_strings(void)
{
	struct strbuf s = STRBUF_INIT;
	unsigned char r[64];
	int i, accepted = 0;

	for (i = 0; i < 10000; i++) {
		size_t n, k;

		if (token_random(r, sizeof(r)) < 0)
			break;
		n = r[0] % 60;
		strbuf_reset(&s);
		strbuf_addch(&s, 'u');
		for (k = 0; k < n; k++)
			strbuf_addch(&s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
				     [r[k + 1] % 65]);
		if (verifies(s.buf, TOKEN_UNSUBSCRIBE))
			accepted++;
	}
	ok(i == 10000 && accepted == 0, "10,000 random strings rejected (%d accepted)", accepted);
	strbuf_release(&s);
}

static void test_message_id(void)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, c = STRBUF_INIT, d = STRBUF_INIT,
		      e = STRBUF_INIT;
	size_t i;
	int alpha = 1;

	token_message_id(secret, 42, "zoe@example.org", &a);
	token_message_id(secret, 42, "zoe@example.org", &b);
	token_message_id(secret, 43, "zoe@example.org", &c);
	token_message_id(secret, 42, "eve@example.org", &d);
	token_message_id("other", 42, "zoe@example.org", &e);
	is_int(a.len, 26, "Message-ID local part is 26 characters");
	for (i = 0; i < a.len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz234567", a.buf[i]))
			alpha = 0;
	ok(alpha, "Message-ID is lower-case base32: %s", a.buf);
	ok(strcmp(a.buf, b.buf) == 0, "stable for the same issue and email");
	ok(strcmp(a.buf, c.buf) != 0, "differs per issue");
	ok(strcmp(a.buf, d.buf) != 0, "differs per email");
	ok(strcmp(a.buf, e.buf) != 0, "differs per secret");
	/* 4 and 42 must not collide through concatenation ambiguities. */
	strbuf_reset(&b);
	strbuf_reset(&c);
	token_message_id(secret, 4, "2zoe@example.org", &b);
	token_message_id(secret, 42, "zoe@example.org", &c);
	ok(strcmp(b.buf, c.buf) != 0, "issue/email boundary is unambiguous");
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&c);
	strbuf_release(&d);
	strbuf_release(&e);
}

static void test_hmac_and_random(void)
{
	unsigned char mac[32];
	struct strbuf hex = STRBUF_INIT, r1 = STRBUF_INIT, r2 = STRBUF_INIT;
	size_t i;
	int alnum = 1;

	/* RFC 4231 test case 2. */
	token_hmac("Jefe", "what do ya want for nothing?", 28, mac);
	for (i = 0; i < 32; i++)
		strbuf_addf(&hex, "%02x", mac[i]);
	is_str(hex.buf, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	       "HMAC-SHA256 matches RFC 4231 test case 2");

	ok(token_random_alnum(32, &r1) == 0 && token_random_alnum(32, &r2) == 0, "random alnum");
	is_int(r1.len, 32, "32 characters");
	for (i = 0; i < r1.len; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", r1.buf[i]))
			alnum = 0;
	ok(alnum, "only [A-Za-z0-9]: %s", r1.buf);
	ok(strcmp(r1.buf, r2.buf) != 0, "two draws differ");
	strbuf_release(&hex);
	strbuf_release(&r1);
	strbuf_release(&r2);
}

static int verifies_timed(const char *tok, int64_t *issued)
{
	char *e = NULL, *l = NULL;
	int r = token_verify_timed(secret, TOKEN_CONFIRM, tok, &e, &l, issued);

	if (r == 0 && (!e || !l))
		return 2;
	if (r != 0 && (e || l))
		return 2;
	free(e);
	free(l);
	return r == 0;
}

/*
 * Confirm tokens carry their issue time under the MAC: it round trips,
 * and no change to it (or anything else) verifies; the untimed form of
 * the old confirm tokens is no longer accepted, unsubscribe tokens are.
 */
static void test_timed(void)
{
	struct strbuf t = STRBUF_INIT, m = STRBUF_INIT, old = STRBUF_INIT;
	char *e = NULL, *l = NULL;
	int64_t when = -1;
	size_t i;
	int accepted = 0;
	char *digits;

	token_make_timed(secret, TOKEN_CONFIRM, "zoe@example.org", "members", 1764547200, &t);
	ok(token_verify_timed(secret, TOKEN_CONFIRM, t.buf, &e, &l, &when) == 0 && e && l &&
	   !strcmp(e, "zoe@example.org") && !strcmp(l, "members") && when == 1764547200,
	   "timed token round trips with its issue time: %s", t.buf);
	free(e);
	free(l);
	ok(strstr(t.buf, ".1764547200.") != NULL, "the time is readable in the token");
	ok(!verifies(t.buf, TOKEN_CONFIRM), "a timed token is not an untimed one");
	for (i = 0; i < t.len; i++) {
		strbuf_reset(&m);
		strbuf_addbuf(&m, &t);
		m.buf[i] = m.buf[i] == '1' ? '2' : m.buf[i] == 'A' ? 'B' : '1';
		if (verifies_timed(m.buf, &when))
			accepted++;
	}
	ok(accepted == 0, "every single-character change rejected");
	/* A later time under the same MAC: the holder cannot extend the link. */
	digits = strstr(t.buf, ".1764547200.");
	strbuf_reset(&m);
	strbuf_add(&m, t.buf, (size_t)(digits - t.buf));
	strbuf_addstr(&m, ".1864547200.");
	strbuf_addstr(&m, digits + strlen(".1764547200."));
	ok(!verifies_timed(m.buf, &when), "a changed issue time rejected");
	strbuf_reset(&m);
	strbuf_add(&m, t.buf, (size_t)(digits - t.buf));
	strbuf_addstr(&m, ".01764547200.");
	strbuf_addstr(&m, digits + strlen(".1764547200."));
	ok(!verifies_timed(m.buf, &when), "leading zero rejected");
	ok(!verifies_timed("C..1.", &when) && !verifies_timed("C...", &when) &&
	   !verifies_timed("C", &when), "degenerate timed tokens rejected");

	/* The confirm token as it was: purpose 'c', no time. */
	token_make(secret, (enum token_purpose)'c', "zoe@example.org", "members", &old);
	ok(!verifies_timed(old.buf, &when), "an untimed confirm token of the old form rejected");
	old.buf[0] = 'C';
	ok(!verifies_timed(old.buf, &when), "  also with the new purpose letter");
	strbuf_reset(&old);
	token_make(secret, TOKEN_UNSUBSCRIBE, "zoe@example.org", "members", &old);
	ok(verifies(old.buf, TOKEN_UNSUBSCRIBE) == 1 && !verifies_timed(old.buf, &when),
	   "unsubscribe tokens stay untimed");
	strbuf_release(&t);
	strbuf_release(&m);
	strbuf_release(&old);
}

/* VERP: round trip, lower case, bounded length, nothing else verifies. */
static void test_verp(void)
{
	static const struct { int issue; long long row; } cases[] = {
		{ 0, 0 }, { 1, 1 }, { 42, 12345 }, { 9999, 2176782335LL }, { 123456, 99 },
	};
	struct strbuf t = STRBUF_INIT, a = STRBUF_INIT;
	char hex[65];
	size_t i, k;
	int issue;
	long long row;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		int lower = 1;

		strbuf_reset(&t);
		token_verp_make(secret, cases[i].issue, cases[i].row, &t);
		for (k = 0; k < t.len; k++)
			if (!((t.buf[k] >= 'a' && t.buf[k] <= 'z') || (t.buf[k] >= '0' && t.buf[k] <= '9') ||
			      t.buf[k] == '-'))
				lower = 0;
		ok(lower && t.len <= 40, "verp token '%s' is short lowercase [a-z0-9-]", t.buf);
		issue = -1;
		row = -1;
		ok(token_verp_verify(secret, t.buf, &issue, &row) == 0 && issue == cases[i].issue &&
		   row == cases[i].row, "verp token %d/%lld round-trips", cases[i].issue, cases[i].row);
		/* every single-character change and every truncation fails */
		{
			int bad = 0;

			for (k = 0; k < t.len; k++) {
				char save = t.buf[k];
				const char *alt = "a0-z9";
				size_t m;

				for (m = 0; alt[m]; m++) {
					if (alt[m] == save)
						continue;
					t.buf[k] = alt[m];
					if (token_verp_verify(secret, t.buf, &issue, &row) == 0)
						bad++;
				}
				t.buf[k] = save;
			}
			for (k = 0; k < t.len; k++) {
				char *cut = xstrndup(t.buf, k);

				if (token_verp_verify(secret, cut, &issue, &row) == 0)
					bad++;
				free(cut);
			}
			ok(bad == 0, "no mutation or truncation of '%s' verifies (%d did)", t.buf, bad);
		}
		ok(token_verp_verify("another secret", t.buf, &issue, &row) < 0,
		   "a token from another secret does not verify");
	}
	strbuf_reset(&t);
	token_verp_make(secret, 7, 300, &t);
	for (k = 0; k < t.len; k++)
		if (t.buf[k] >= 'a' && t.buf[k] <= 'z')
			t.buf[k] -= 32;
	ok(token_verp_verify(secret, t.buf, &issue, &row) == 0 && issue == 7 && row == 300,
	   "an MTA that upper-cases the local part does not break it");
	ok(token_verp_verify(secret, "", &issue, &row) < 0 &&
	   token_verp_verify(secret, "7-8c-", &issue, &row) < 0 &&
	   token_verp_verify(secret, "-", &issue, &row) < 0 &&
	   token_verp_verify(NULL, "a-b-c", &issue, &row) < 0, "malformed tokens are refused");
	/* Six base-36 digits reach past INT_MAX: anyone can mail such a tag. */
	ok(token_verp_verify(secret, "zzzzzz-1-aaaaaaaaaaaaaaaa", &issue, &row) < 0 &&
	   token_verp_verify(secret, "zik0zk-1-aaaaaaaaaaaaaaaa", &issue, &row) < 0 &&
	   token_verp_verify(secret, "zzzzzzzzzzzz-zzzzzzzzzzzz-aaaaaaaaaaaaaaaa", &issue, &row) < 0,
	   "an issue number past INT_MAX is refused, not a crash");

	ok(token_verp_address(secret, "bounces@example.org", 42, 1234, &a) == 0,
	   "a plain envelope carries a tag");
	ok(!strncmp(a.buf, "bounces+", 8) && strstr(a.buf, "@example.org"), "as LOCAL+TOKEN@DOMAIN: %s", a.buf);
	ok(token_verp_find(secret, a.buf, &issue, &row) == 0 && issue == 42 && row == 1234,
	   "token_verp_find reads it back from the address");
	ok(token_verp_find(secret, "bounces@example.org", &issue, &row) < 0 &&
	   token_verp_find(secret, "bounces+nope@example.org", &issue, &row) < 0,
	   "an address without a valid tag has none");
	strbuf_reset(&a);
	ok(token_verp_address(secret, "news+list@example.org", 1, 1, &a) < 0 && a.len == 0,
	   "an envelope already tagged is left alone");
	ok(token_verp_address(secret, "\"q\"@example.org", 1, 1, &a) < 0 && a.len == 0,
	   "a quoted local part is left alone");
	ok(token_verp_address(secret, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.org", 1, 1, &a) < 0,
	   "a tag that would take the local part past 64 octets is not added");
	strbuf_reset(&a);
	ok(token_verp_address(secret, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.org", 9999, 2176782335LL, &a) == 0 &&
	   strchr(a.buf, '@') - a.buf <= 64, "the longest token still fits a 36-octet local part");

	token_digest("abc", 3, hex);
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "token_digest is SHA-256 (FIPS 180-2 'abc')");
	strbuf_release(&t);
	strbuf_release(&a);
}

/* The log's reasons: one per check, none for a good token, never the token. */
static void test_reject_reason(void)
{
	struct strbuf tok = STRBUF_INIT, timed = STRBUF_INIT;
	const char *why;

	token_make(secret, TOKEN_UNSUBSCRIBE, "zoe@example.org", "members", &tok);
	token_make_timed(secret, TOKEN_CONFIRM, "zoe@example.org", "members", 1700000000, &timed);
	ok(!token_reject_reason(secret, TOKEN_UNSUBSCRIBE, tok.buf, 0), "a good token has no reason");
	ok(!token_reject_reason(secret, TOKEN_CONFIRM, timed.buf, 1), "nor a good timed one");
	why = token_reject_reason("another secret", TOKEN_UNSUBSCRIBE, tok.buf, 0);
	ok(why && strstr(why, "signature does not match"), "another secret: the signature (%s)", why);
	why = token_reject_reason(secret, TOKEN_CONFIRM, tok.buf, 1);
	ok(why && strstr(why, "another kind of link"), "another purpose (%s)", why);
	strbuf_setlen(&tok, 12);
	why = token_reject_reason(secret, TOKEN_UNSUBSCRIBE, tok.buf, 0);
	ok(why && strstr(why, "malformed"), "cut short: malformed (%s)", why);
	why = token_reject_reason(secret, TOKEN_UNSUBSCRIBE, NULL, 0);
	ok(why && strstr(why, "no token"), "none at all (%s)", why);
	strbuf_release(&tok);
	strbuf_release(&timed);
}

int main(void)
{
	test_reject_reason();
	test_verp();
	test_roundtrip();
	test_mutations();
	test_random_strings();
	test_timed();
	test_message_id();
	test_hmac_and_random();
	return tap_done();
}
