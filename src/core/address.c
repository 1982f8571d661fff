/*
 * The one e-mail address validator (see address.h).
 *
 * Why by hand: the address is checked byte by byte against the RFC 5321
 * Mailbox grammar (section 4.1.2), which is narrower than RFC 5322's
 * addr-spec: no comments, no folding white space, no obsolete forms.
 * libetpan's mailimf parser accepts those RFC 5322 forms (comments, CFWS,
 * display names) and would happily turn "a@b.org(x)evil.com" into
 * something, which is exactly the shape that broke other mailers; so what
 * we need is a strict recognizer, and no packaged library provides one.
 * IDN conversion (RFC 5890/5891, UTS #46) is libidn2's job.
 */
#include "base/common.h"
#include "core/address.h"
#include "base/strbuf.h"
#include "base/utf8.h"

#include <arpa/inet.h>
#include <strings.h>
#include <idn2.h>

/* RFC 5321, section 4.5.3.1: size limits. */
#define LOCAL_MAX 64
#define DOMAIN_MAX 255
#define PATH_MAX_OCTETS 256	/* "<" local "@" domain ">" */
#define LABEL_MAX 63

/* atext, RFC 5322 section 3.2.3 (= RFC 5321 Atom characters). */
static int is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static int fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -1;
}

/*
 * Dot-string, RFC 5321 section 4.1.2: Atom *("." Atom).  No leading,
 * trailing or doubled dots.
 */
static int check_dot_string(const char *s, size_t len, const char **why)
{
	size_t i;

	if (s[0] == '.' || s[len - 1] == '.')
		return fail(why, "the local part starts or ends with a dot");
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '.') {
			if (s[i + 1] == '.')
				return fail(why, "the local part has two dots in a row");
			continue;
		}
		if (c >= 0x80)
			return fail(why, "the local part has non-ASCII characters (internationalized local parts are not supported)");
		if (c == '(' || c == ')')
			return fail(why, "comments in parentheses are not allowed in an address");
		if (c == '<' || c == '>')
			return fail(why, "angle brackets are not allowed: give the bare address");
		if (c == '"')
			return fail(why, "a quote in the middle of the local part");
		if (!is_atext(c))
			return fail(why, "the local part has a character that is not allowed without quotes");
	}
	return 0;
}

/*
 * Quoted-string, RFC 5321 section 4.1.2, restricted to what a dot-string
 * could nearly say: atext and dots only (e.g. "john..doe").  Specials
 * ("a>b", "a,b", "a:b"), backslash escapes, '@', white space and control
 * characters are refused: they are what makes one string mean two
 * addresses to different parsers, and what relays mishandle in
 * "MAIL FROM:<...>" and "RCPT TO:<...>" (the message would fail at every
 * send, so it must not pass at the door).  `s` starts at the opening
 * quote; returns the length including the closing quote, or -1.
 */
static long quoted_length(const char *s, const char **why)
{
	size_t i;

	for (i = 1; s[i]; i++) {
		unsigned char c = s[i];

		if (c == '"')
			return i == 1 ? fail(why, "the quoted local part is empty") : (long)i + 1;
		if (c == '@')
			return fail(why, "an '@' inside a quoted local part is not accepted");
		if (c == ' ' || c == '\t')
			return fail(why, "white space inside a quoted local part is not accepted");
		if (c >= 0x80)
			return fail(why, "the local part has non-ASCII characters (internationalized local parts are not supported)");
		if (c == '\\')
			return fail(why, "a backslash inside a quoted local part is not accepted");
		if (c != '.' && !is_atext(c))
			return fail(why, "a quoted local part may hold only letters, digits, dots and !#$%&'*+-/=?^_`{|}~ (not < > ( ) [ ] , ; :)");
	}
	return fail(why, "the quoted local part has no closing quote");
}

static int check_address_literal(const char *d, size_t len, const char **why)
{
	char buf[64];
	unsigned char addr[16];

	/* RFC 5321 section 4.1.3: "[" IPv4 "]" or "[IPv6:" IPv6 "]". */
	if (d[len - 1] != ']' || len < 3 || len - 2 >= sizeof(buf))
		return fail(why, "the address literal is malformed");
	memcpy(buf, d + 1, len - 2);
	buf[len - 2] = '\0';
	if (!strncasecmp(buf, "IPv6:", 5)) {
		if (inet_pton(AF_INET6, buf + 5, addr) == 1)
			return 0;
		return fail(why, "the IPv6 address literal is malformed");
	}
	if (inet_pton(AF_INET, buf, addr) == 1)
		return 0;
	return fail(why, "the address literal is not an IPv4 or IPv6 address");
}

/* `d` is lower-case ASCII: check LDH labels (RFC 1035 section 2.3.1, RFC 5321 section 2.3.5). */
static int check_hostname(const char *d, size_t len, const char **why)
{
	size_t i, label = 0, dots = 0, last = 0;
	int tld_numeric = 1;

	if (len > DOMAIN_MAX)
		return fail(why, "the domain is longer than 255 octets");
	if (d[0] == '.' || d[len - 1] == '.')
		return fail(why, "the domain starts or ends with a dot");
	for (i = 0; i <= len; i++) {
		unsigned char c = i < len ? d[i] : '.';

		if (c == '.') {
			if (label == 0)
				return fail(why, "the domain has an empty label (two dots in a row)");
			if (label > LABEL_MAX)
				return fail(why, "a domain label is longer than 63 octets");
			if (d[i - label] == '-' || d[i - 1] == '-')
				return fail(why, "a domain label starts or ends with a hyphen");
			if (i < len)
				dots++;
			last = i - label;
			label = 0;
			continue;
		}
		if (c == '(' || c == ')')
			return fail(why, "comments in parentheses are not allowed in an address");
		if (c == '<' || c == '>')
			return fail(why, "angle brackets are not allowed: give the bare address");
		if (!is_ldh(c))
			return fail(why, "the domain has a character other than letters, digits, hyphens and dots");
		label++;
	}
	if (!dots)
		return fail(why, "the domain has no dot (a local host name cannot receive the newsletter)");
	for (i = last; i < len; i++)
		if (d[i] < '0' || d[i] > '9')
			tld_numeric = 0;
	if (tld_numeric)
		return fail(why, "the top-level domain is numeric (write an IP address as [1.2.3.4])");
	return 0;
}

int address_validate(const char *in, struct strbuf *out, const char **why)
{
	const char *s, *end, *at, *p;
	size_t local_len, i;
	struct strbuf domain = STRBUF_INIT;
	int r = -1;

	if (!in)
		return fail(why, "no address given");
	/* Control characters anywhere (CR and LF included), before any trimming. */
	for (p = in; *p; p++) {
		unsigned char c = *p;

		if (c == '\r' || c == '\n')
			return fail(why, "the address contains a line break");
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(why, "the address contains a control character");
	}
	s = in;
	end = in + strlen(in);
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (s == end)
		return fail(why, "the address is empty");
	if (*s == '<' || end[-1] == '>')
		return fail(why, "angle brackets are not allowed: give the bare address");

	/* Local part: Dot-string or Quoted-string (RFC 5321 section 4.1.2). */
	if (*s == '"') {
		long q = quoted_length(s, why);

		if (q < 0)
			return -1;
		at = s + q;
		if (at >= end || *at != '@')
			return fail(why, "the quoted local part must be followed by '@'");
	} else {
		for (at = s; at < end && *at != '@'; at++) {
			if (*at == ' ' || *at == '\t')
				return fail(why, "the address contains white space");
		}
		if (at == end)
			return fail(why, "the address has no '@'");
	}
	local_len = at - s;
	if (local_len == 0)
		return fail(why, "the local part (before '@') is empty");
	if (local_len > LOCAL_MAX)
		return fail(why, "the local part is longer than 64 octets");
	if (*s != '"') {
		char *local = xstrndup(s, local_len);

		r = check_dot_string(local, local_len, why);
		free(local);
		if (r < 0)
			return -1;
		r = -1;
	}

	/* Domain: exactly one unquoted '@' in all. */
	p = at + 1;
	if (p == end)
		return fail(why, "the domain part (after '@') is missing");
	for (i = 0; p + i < end; i++) {
		if (p[i] == '@')
			return fail(why, "the address has more than one '@'");
		if (p[i] == ' ' || p[i] == '\t')
			return fail(why, "the address contains white space");
	}
	if (*p == '[') {
		if (check_address_literal(p, end - p, why) < 0)
			return -1;
		strbuf_add(&domain, p, end - p);
		for (i = 0; i < domain.len; i++)
			if (domain.buf[i] >= 'A' && domain.buf[i] <= 'Z')
				domain.buf[i] += 'a' - 'A';
	} else {
		int ascii = 1;

		for (i = 0; p + i < end; i++) {
			unsigned char c = p[i];

			if (c >= 0x80)
				ascii = 0;
			strbuf_addch(&domain, c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
		}
		if (!ascii) {
			char *alabel = NULL;
			int rc = idn2_to_ascii_8z(domain.buf, &alabel,
						  IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);

			if (rc != IDN2_OK) {
				/* RFC 5891 section 5: a domain that cannot become an A-label is not an address. */
				if (rc == IDN2_ENCODING_ERROR)
					fail(why, "the domain is not valid UTF-8");
				else
					fail(why, "the internationalized domain cannot be converted to an ASCII (punycode) name");
				goto out;
			}
			strbuf_reset(&domain);
			strbuf_addstr(&domain, alabel);
			idn2_free(alabel);
		}
		if (check_hostname(domain.buf, domain.len, why) < 0)
			goto out;
	}
	if (domain.len > DOMAIN_MAX) {
		fail(why, "the domain is longer than 255 octets");
		goto out;
	}
	if (local_len + 1 + domain.len + 2 > PATH_MAX_OCTETS) {
		fail(why, "the address is longer than 254 octets (RFC 5321 path limit)");
		goto out;
	}
	if (out) {
		strbuf_add(out, s, local_len);
		strbuf_addch(out, '@');
		strbuf_addbuf(out, &domain);
	}
	r = 0;
out:
	strbuf_release(&domain);
	return r;
}

int address_check_name(const char *name, const char **why)
{
	size_t len = strlen(name), bad = utf8_invalid_at(name, len), i;

	if (bad < len)
		return fail(why, "the name is not valid UTF-8");
	for (i = 0; i < len; i++) {
		unsigned char c = name[i];

		if (c == '\r' || c == '\n')
			return fail(why, "the name has a line break");
		if (c < 0x20 || c == 0x7f)
			return fail(why, "the name has a control character");
		/* C1 controls, U+0080..U+009F: 0xC2 0x80..0x9F in UTF-8. */
		if (c == 0xc2 && (unsigned char)name[i + 1] >= 0x80 &&
		    (unsigned char)name[i + 1] <= 0x9f)
			return fail(why, "the name has a control character (U+0080..U+009F)");
	}
	return 0;
}

/*
 * RFC 5322 section 3.4: mailbox = name-addr / addr-spec, name-addr =
 * [display-name] "<" addr-spec ">".  The display name is a quoted-string
 * (anything but an unescaped '"', with \-escapes) or bare words; bare
 * words may not hold '<', '>', '"', '@' or '\': those are what let one
 * reader see an address inside the name that another reader does not
 * ("NB <x@evil.org>" unquoted).  The name is re-encoded on output
 * (mime_add_mailbox), so this only has to find where it ends.
 */
int address_split_mailbox(const char *in, struct strbuf *name, struct strbuf *addr,
			  const char **why)
{
	struct strbuf nb = STRBUF_INIT, ab = STRBUF_INIT;
	const char *s = in, *end, *p, *lt;

	if (!in)
		return fail(why, "no address given");
	for (p = in; *p; p++)
		if (*p == '\r' || *p == '\n')
			return fail(why, "the address contains a line break");
	end = s + strlen(s);
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (s == end)
		return fail(why, "the address is empty");
	if (end[-1] != '>') {
		/* A bare addr-spec. */
		char *bare = xstrndup(s, (size_t)(end - s));
		int r = address_validate(bare, addr, why);

		free(bare);
		return r;
	}
	p = s;
	if (*p == '"') {
		for (p++; p < end && *p != '"'; p++) {
			if (*p == '\\') {
				if (++p == end)
					break;
			}
			strbuf_addch(&nb, *p);
		}
		if (p >= end) {
			strbuf_release(&nb);
			return fail(why, "the display name's quote is never closed");
		}
		p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= end || *p != '<') {
			strbuf_release(&nb);
			return fail(why, "expected '<address>' after the quoted display name");
		}
	} else {
		for (; p < end && *p != '<'; p++) {
			if (*p == '>' || *p == '"' || *p == '@' || *p == '\\') {
				strbuf_release(&nb);
				return fail(why, "the display name has '>', '\"', '@' or '\\' outside "
					    "quotes: put the name in double quotes");
			}
		}
		strbuf_add(&nb, s, (size_t)(p - s));
		strbuf_rtrim(&nb);
	}
	lt = p;
	if (memchr(lt + 1, '<', (size_t)(end - lt - 1)) || memchr(lt + 1, '>', (size_t)(end - lt - 2))) {
		strbuf_release(&nb);
		return fail(why, "more than one '<address>'");
	}
	{
		char *bare = xstrndup(lt + 1, (size_t)(end - lt - 2));
		int r = address_validate(bare, &ab, why);

		free(bare);
		if (r < 0 || address_check_name(nb.buf, why) < 0) {
			strbuf_release(&nb);
			strbuf_release(&ab);
			return -1;
		}
	}
	if (name)
		strbuf_addbuf(name, &nb);
	strbuf_addbuf(addr, &ab);
	strbuf_release(&nb);
	strbuf_release(&ab);
	return 0;
}

int address_same(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;

		/* ASCII only, as SQLite's NOCASE: never the locale's idea of case. */
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y)
			return 0;
		if (!x)
			return 1;
	}
}
