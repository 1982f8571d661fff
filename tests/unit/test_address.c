/* The address validator: a table of valid addresses (with their normal
 * form) and a table of invalid ones, including every shape issue 3 names. */
#include "base/common.h"
#include "core/address.h"
#include "base/strbuf.h"
#include "tap.h"

static const struct {
	const char *in, *want;
} valid[] = {
	{ "alice@example.org", "alice@example.org" },
	{ "Alice@Example.ORG", "Alice@example.org" },
	{ "  bob@example.com\t", "bob@example.com" },
	{ "first.last@example.org", "first.last@example.org" },
	{ "first.middle.last@example.org", "first.middle.last@example.org" },
	{ "user+tag@example.org", "user+tag@example.org" },
	{ "user-name@example.org", "user-name@example.org" },
	{ "user_name@example.org", "user_name@example.org" },
	{ "x@example.org", "x@example.org" },
	{ "1234567890@example.org", "1234567890@example.org" },
	{ "o'brien@example.ie", "o'brien@example.ie" },
	{ "!#$%&'*+-/=?^_`{|}~@example.org", "!#$%&'*+-/=?^_`{|}~@example.org" },
	{ "a@b.co", "a@b.co" },
	{ "a@sub.domain.example.org", "a@sub.domain.example.org" },
	{ "a@a-b.example.org", "a@a-b.example.org" },
	{ "a@123.example.org", "a@123.example.org" },
	{ "a@example.xn--p1ai", "a@example.xn--p1ai" },
	{ "a@xn--mller-kva.example", "a@xn--mller-kva.example" },
	{ "zoe@müller.example", "zoe@xn--mller-kva.example" },
	{ "zoe@MÜLLER.example", "zoe@xn--mller-kva.example" },
	{ "jose@núñez.example.org", "jose@xn--nez-7ma8b.example.org" },
	{ "li@例え.テスト", "li@xn--r8jz45g.xn--zckzah" },
	{ "soren@kierkegaard-olsen.test", "soren@kierkegaard-olsen.test" },
	{ "lukasz@wiśniewski.example", "lukasz@xn--winiewski-w1b.example" },
	{ "a@[192.0.2.1]", "a@[192.0.2.1]" },
	{ "a@[IPv6:2001:db8::1]", "a@[ipv6:2001:db8::1]" },
	{ "\"john\"@example.org", "\"john\"@example.org" },
	{ "\"john.doe\"@example.org", "\"john.doe\"@example.org" },
	{ "\"a..b\"@example.org", "\"a..b\"@example.org" },
	{ "a.b-c_d+e@example.org", "a.b-c_d+e@example.org" },
	{ "postmaster@example.com", "postmaster@example.com" },
	{ "x@x.x.x.x.x.example", "x@x.x.x.x.x.example" },
	{ "CAPS@EXAMPLE.COM", "CAPS@example.com" },
	{ "editor@news.example.org", "editor@news.example.org" },
	{ "a1@b2.c3", "a1@b2.c3" },
	{ "dr.m.rossi@cardio.example.it", "dr.m.rossi@cardio.example.it" },
	{ "a@x--y.example", "a@x--y.example" },
	{ "tab@example.org\t", "tab@example.org" },
	{ "a@0.example.org", "a@0.example.org" },
	{ "a@example.museum", "a@example.museum" },
};

static const char *const invalid[] = {
	/* quoted local parts with specials: SMTP envelopes cannot carry them safely */
	"\"a>b\"@example.org",
	"\"a<b\"@example.org",
	"\"a\\\"b\"@example.org",
	"\"(x)\"@example.org",
	"\"a,b\"@example.org",
	"\"a:b\"@example.org",
	"\"a;b\"@example.org",
	"\"[a]\"@example.org",
	/* the shapes issue 3 names */
	"a@malicious.org@important.com",
	"alice@example.org(<bob@example.com>",
	"\"x@gmail.com x\"@internal.domain",
	"user@good-corp.com(x)evil.com",
	"<bob@example.com> NOTIFY=SUCCESS ORCPT=rfc822;spy@evil.example",
	"alice@example.org\r\nRCPT TO:<spy@evil.example>",
	"alice@example.org\r\n",
	"alice@example.org\n",
	"alice@exa\rmple.org",
	/* structure */
	"",
	"   ",
	"alice",
	"alice@",
	"@example.org",
	"alice@@example.org",
	"alice@example.org@",
	"<alice@example.org>",
	"Alice <alice@example.org>",
	"alice@example.org>",
	"alice @example.org",
	"alice@ example.org",
	"al ice@example.org",
	"alice@exam ple.org",
	/* local part */
	".alice@example.org",
	"alice.@example.org",
	"al..ice@example.org",
	"al(ice)@example.org",
	"(comment)alice@example.org",
	"al\"ice@example.org",
	"al,ice@example.org",
	"al;ice@example.org",
	"al[ice]@example.org",
	"al\\ice@example.org",
	"zoë@example.org",
	"\"\"@example.org",
	"\"unterminated@example.org",
	"\"a b\"@example.org",
	"\"a\"b@example.org",
	"\"a@b\"@example.org",
	"\"a\\@b\"@example.org",
	"al\tice@example.org",
	"al\x01ice@example.org",
	"al\x7fice@example.org",
	/* domain */
	"alice@localhost",
	"alice@example",
	"alice@.example.org",
	"alice@example.org.",
	"alice@example..org",
	"alice@-example.org",
	"alice@example-.org",
	"alice@exa_mple.org",
	"alice@example.org(x)",
	"alice@example.org,bob@example.org",
	"alice@example.org;bob@example.org",
	"alice@192.0.2.1",
	"alice@[192.0.2.256]",
	"alice@[not an ip]",
	"alice@[192.0.2.1",
	"alice@[IPv6:zz::1]",
	"alice@exa%mple.org",
	"alice@exa/mple.org",
	"alice@\xff\xfe.example",
	"alice@m\xc3\xbcller\xc3.example",
	"alice@\xe2\x80\x8b.example",	/* zero width space: not an IDN label */
	"@route.example:alice@example.org",
};

/* "a"*local_len "@" domain-of-domain_len-octets (labels of 9 'd's, ".org" last) */
static void make_address(struct strbuf *s, size_t local_len, size_t domain_len)
{
	size_t i;

	strbuf_reset(s);
	strbuf_addchars(s, 'a', local_len);
	strbuf_addch(s, '@');
	for (i = 0; i < domain_len - 4; i++)
		strbuf_addch(s, i % 10 == 9 && i != domain_len - 5 ? '.' : 'd');
	strbuf_addstr(s, ".org");
}

static void check_lengths(void)
{
	struct strbuf s = STRBUF_INIT;
	const char *why = NULL;
	int r;

	/* local part: 64 ok, 65 not (RFC 5321 section 4.5.3.1.1) */
	make_address(&s, 64, 11);
	r = address_validate(s.buf, NULL, &why);
	is_int(r, 0, "64-octet local part is valid");
	make_address(&s, 65, 11);
	r = address_validate(s.buf, NULL, &why);
	is_int(r, -1, "65-octet local part is invalid (%s)", why);
	ok(r == -1 && strstr(why, "64") != NULL, "reason names the limit");

	/* label: 63 ok, 64 not (RFC 1035 section 2.3.4) */
	strbuf_reset(&s);
	strbuf_addstr(&s, "a@");
	strbuf_addchars(&s, 'b', 63);
	strbuf_addstr(&s, ".org");
	r = address_validate(s.buf, NULL, &why);
	is_int(r, 0, "63-octet label is valid");
	strbuf_reset(&s);
	strbuf_addstr(&s, "a@");
	strbuf_addchars(&s, 'b', 64);
	strbuf_addstr(&s, ".org");
	r = address_validate(s.buf, NULL, &why);
	is_int(r, -1, "64-octet label is invalid (%s)", why);

	/* path: "<" + 254 + ">" = 256 ok, one more not (RFC 5321 section 4.5.3.1.3) */
	make_address(&s, 64, 189);
	is_int((long long)s.len, 254, "constructed a 254-octet address");
	r = address_validate(s.buf, NULL, &why);
	is_int(r, 0, "254-octet address is valid");
	make_address(&s, 64, 190);
	r = address_validate(s.buf, NULL, &why);
	is_int(r, -1, "255-octet address is invalid (%s)", why);
	ok(r == -1 && strstr(why, "254") != NULL, "reason names the path limit");

	/* a domain over 255 octets */
	make_address(&s, 1, 300);
	r = address_validate(s.buf, NULL, &why);
	is_int(r, -1, "300-octet domain is invalid (%s)", why);
	ok(r == -1 && strstr(why, "255") != NULL, "reason names the domain limit");
	strbuf_release(&s);
}

/* The test name with control characters shown as \xNN, so TAP lines stay whole. */
static void split_ok(const char *in, const char *want_name, const char *want_addr)
{
	struct strbuf n = STRBUF_INIT, a = STRBUF_INIT;
	const char *why = NULL;

	if (ok(address_split_mailbox(in, &n, &a, &why) == 0, "mailbox: %s", in)) {
		is_str(n.buf, want_name, "  its name");
		is_str(a.buf, want_addr, "  its address");
	} else {
		diag("rejected: %s", why);
	}
	strbuf_release(&n);
	strbuf_release(&a);
}

static void split_bad(const char *in, const char *reason)
{
	struct strbuf n = STRBUF_INIT, a = STRBUF_INIT;
	const char *why = NULL;
	int r = address_split_mailbox(in, &n, &a, &why);

	ok(r < 0 && why && strstr(why, reason) && !n.len && !a.len, "not a mailbox: %s (%s)",
	   in, why ? why : "ACCEPTED");
	strbuf_release(&n);
	strbuf_release(&a);
}

static void check_mailboxes(void)
{
	split_ok("NewsBeat <newsbeat@example.org>", "NewsBeat", "newsbeat@example.org");
	split_ok("  news@example.org ", "", "news@example.org");
	split_ok("<news@example.org>", "", "news@example.org");
	split_ok("\"Beat, News \\\"X\\\"\" <n@example.org>", "Beat, News \"X\"", "n@example.org");
	split_ok("\"a <b> c\" <n@example.org>", "a <b> c", "n@example.org");
	split_ok("A. Rossi <a@example.org>", "A. Rossi", "a@example.org");
	/* The mailbox's address is the one after the quoted name, never one inside it. */
	split_ok("\"NB <x@evil.org>\" <a@b.org>", "NB <x@evil.org>", "a@b.org");
	/* IDN domains become punycode in the one address module. */
	split_ok("Zoë <zoe@müller.example>", "Zoë", "zoe@xn--mller-kva.example");
	split_bad("Name <a@example.org> trailing", "");
	split_bad("Name <a@example.org", "");
	split_bad("Name\n <a@example.org>", "line break");
	split_bad("", "empty");
	split_bad("NB <x@evil.org> <a@b.org>", "more than one");
	split_bad("NB x@evil.org <a@b.org>", "outside quotes");
	split_bad("\"NB <a@b.org>", "never closed");
	split_bad("\"a>b\"@example.org", "quoted local part");
	split_bad("N <\"a>b\"@example.org>", "");
	split_bad("Bad\x01Name <a@example.org>", "control");
	split_bad("Bad\xffName <a@example.org>", "UTF-8");
	split_bad("envelope@example.org\rRCPT TO:<x@evil.org>", "line break");
}

static void check_names(void)
{
	const char *why = NULL;

	is_int(address_check_name("Dr. María Núñez-Smith", &why), 0, "a name with accents");
	is_int(address_check_name("", &why), 0, "an empty name");
	ok(address_check_name("a\tb", &why) < 0 && strstr(why, "control"), "tab: %s", why);
	ok(address_check_name("a\nb", &why) < 0 && strstr(why, "line break"), "LF: %s", why);
	ok(address_check_name("a\x7f", &why) < 0 && strstr(why, "control"), "DEL: %s", why);
	ok(address_check_name("a\xc2\x85" "b", &why) < 0 && strstr(why, "U+0080"), "C1 NEL: %s", why);
	ok(address_check_name("a\xc2\x9b" "b", &why) < 0 && strstr(why, "U+0080"), "C1 CSI: %s", why);
	is_int(address_check_name("a\xc2\xa0" "b", &why), 0, "U+00A0 is not a control");
	ok(address_check_name("a\xc3", &why) < 0 && strstr(why, "UTF-8"), "truncated UTF-8: %s", why);
	ok(address_check_name("\xed\xa0\x80", &why) < 0 && strstr(why, "UTF-8"), "a surrogate: %s", why);
}

static const char *printable(const char *s)
{
	static struct strbuf sb = STRBUF_INIT;

	strbuf_reset(&sb);
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			strbuf_addf(&sb, "\\x%02x", (unsigned char)*s);
		else
			strbuf_addch(&sb, *s);
	}
	return sb.buf;
}

int main(void)
{
	struct strbuf out = STRBUF_INIT;
	const char *why;
	size_t i;
	int r;

	ok(ARRAY_SIZE(valid) >= 40, "at least 40 valid cases (%zu)", ARRAY_SIZE(valid));
	ok(ARRAY_SIZE(invalid) >= 40, "at least 40 invalid cases (%zu)", ARRAY_SIZE(invalid));
	for (i = 0; i < ARRAY_SIZE(valid); i++) {
		why = NULL;
		strbuf_reset(&out);
		if (!ok(address_validate(valid[i].in, &out, &why) == 0, "valid: %s", valid[i].in))
			diag("rejected: %s", why);
		else
			is_str(out.buf, valid[i].want, "normalized: %s", valid[i].in);
	}
	for (i = 0; i < ARRAY_SIZE(invalid); i++) {
		why = NULL;
		strbuf_reset(&out);
		r = address_validate(invalid[i], &out, &why);
		ok(r == -1 && why && *why && out.len == 0,
		   "invalid: %s (%s)", printable(invalid[i]), why ? why : "ACCEPTED");
	}
	/* The reason names the problem. */
	r = address_validate("a@malicious.org@important.com", NULL, &why);
	ok(r < 0 && strstr(why, "more than one '@'") != NULL, "double @ reason: %s", why);
	r = address_validate("alice@example.org\r\n", NULL, &why);
	ok(r < 0 && strstr(why, "line break") != NULL, "CRLF reason: %s", why);
	r = address_validate("a@\xff.example", NULL, &why);
	ok(r < 0 && strstr(why, "UTF-8") != NULL, "bad UTF-8 reason: %s", why);
	is_int(address_validate(NULL, NULL, NULL), -1, "NULL is invalid");
	check_lengths();
	check_mailboxes();
	check_names();
	strbuf_release(&out);
	return tap_done();
}
