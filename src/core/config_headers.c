/*
 * The config values that reach a message header (see config_headers.h).
 * The rules are the message builder's (mime.c) and the one address
 * parser's (address.c); here they are applied once, at load, with the
 * file and line, rather than at the first message of a send.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/config.h"
#include "core/address.h"
#include "core/config_headers.h"

/* Room left in a 998-octet header line for the token and the field name. */
#define BASE_URL_MAX 512
#define LIST_ID_MAX 255

static int bad(const struct config *cfg, const void *field, const char *value,
	       const char *why)
{
	struct strbuf where = STRBUF_INIT;

	config_where(cfg, field, &where);
	error("%s: '%s' %s", where.buf, value, why);
	strbuf_release(&where);
	return -1;
}

static int is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* RFC 2919 section 2: list-id = list-label "." list-id-namespace, dot-atom-text. */
static const char *list_id_problem(const char *id)
{
	const char *p;

	if (!*id)
		return "is empty: give a domain-like name you control, e.g. news.example.org";
	if (strlen(id) > LIST_ID_MAX)
		return "is longer than 255 characters";
	if (!strchr(id, '.'))
		return "has no dot: a List-Id is domain-like, e.g. news.example.org";
	if (id[0] == '.' || id[strlen(id) - 1] == '.' || strstr(id, ".."))
		return "has a dot at the start or end, or two in a row";
	for (p = id; *p; p++)
		if (*p != '.' && !is_atext((unsigned char)*p))
			return "has a character a List-Id cannot hold (spaces, < > @ \" ( ) , ; : [ ] "
			       "or non-ASCII): use letters, digits, '-' and dots";
	return NULL;
}

/*
 * base_url is written between <> in three headers and has "unsubscribe?t=",
 * "issues/..." appended: printable ASCII, no space or <>"\, no query or
 * fragment, and a host.
 */
static const char *base_url_problem(const char *url)
{
	const unsigned char *p;
	const char *host;

	if (!strncmp(url, "https://", 8))
		host = url + 8;
	else if (!strncmp(url, "http://", 7))
		host = url + 7;
	else
		return "must start with https://";
	if (*host == '/' || !*host)
		return "has no host name after the scheme";
	if (strlen(url) > BASE_URL_MAX)
		return "is longer than 512 characters";
	for (p = (const unsigned char *)url; *p; p++) {
		if (*p <= 0x20 || *p >= 0x7f)
			return "has a space, a control or a non-ASCII character (percent-encode it; "
			       "write an international domain as punycode)";
		if (strchr("<>\"\\^`{|}", *p))
			return "has a character not allowed in a URL (< > \" \\ ^ ` { | })";
		if (*p == '?' || *p == '#')
			return "has a ?query or #fragment: give the directory the archive lives in";
	}
	return NULL;
}

/*
 * RFC 6068 section 2: in "mailto:ADDR?subject=...", ADDR's characters other
 * than unreserved and some-delims would need percent-encoding, and '?', '&'
 * or '#' would start or split the query (x@y.org?cc=... adds a recipient).
 * Rather than encode, accept only addresses that need none.
 */
static const char *mailto_problem(const char *addr)
{
	const char *p;

	if (addr[0] == '"')
		return "has a quoted local part, which cannot go in a mailto: link: use a plain address";
	for (p = addr; *p; p++) {
		unsigned char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("-._~!$'*+@[]:", c)))
			return "has a character that a mailto: link would need encoded (? & = % # / ...): "
			       "give a plain address, no ?query";
	}
	return NULL;
}

/* An address-only key: a bare address or "<address>", no display name. */
static int address_only(struct config *cfg, char **field, const char *what)
{
	struct strbuf name = STRBUF_INIT, addr = STRBUF_INIT;
	const char *why = NULL;
	int r = 0;

	if (address_split_mailbox(*field, &name, &addr, &why) < 0) {
		struct strbuf msg = STRBUF_INIT;

		strbuf_addf(&msg, "is not a usable %s: %s", what, why);
		r = bad(cfg, field, *field, msg.buf);
		strbuf_release(&msg);
	} else if (name.len) {
		r = bad(cfg, field, *field, "must be an address only, without a display name");
	} else {
		free(*field);
		*field = strbuf_detach(&addr, NULL);
	}
	strbuf_release(&name);
	strbuf_release(&addr);
	return r;
}

int config_headers_check(struct config *cfg)
{
	struct strbuf name = STRBUF_INIT, addr = STRBUF_INIT;
	const char *why;
	int errors = 0;

	if (address_check_name(cfg->name, &why) < 0)
		errors += bad(cfg, &cfg->name, cfg->name, why) < 0;
	if (address_split_mailbox(cfg->from, &name, &addr, &why) < 0) {
		struct strbuf msg = STRBUF_INIT;

		strbuf_addf(&msg, "is not one mailbox 'Name <address>' or 'address': %s", why);
		errors += bad(cfg, &cfg->from, cfg->from, msg.buf) < 0;
		strbuf_release(&msg);
	}
	if ((why = base_url_problem(cfg->base_url)))
		errors += bad(cfg, &cfg->base_url, cfg->base_url, why) < 0;
	if ((why = list_id_problem(cfg->list_id)))
		errors += bad(cfg, &cfg->list_id, cfg->list_id, why) < 0;
	if (*cfg->envelope_from)
		errors += address_only(cfg, &cfg->envelope_from, "envelope sender") < 0;
	if (*cfg->unsubscribe_mailto) {
		if (address_only(cfg, &cfg->unsubscribe_mailto, "unsubscribe address") < 0)
			errors++;
		else if ((why = mailto_problem(cfg->unsubscribe_mailto)))
			errors += bad(cfg, &cfg->unsubscribe_mailto, cfg->unsubscribe_mailto, why) < 0;
	} else if (addr.len && (why = mailto_problem(addr.buf))) {
		/* The From address stands in for it (compose.c): say both keys. */
		struct strbuf msg = STRBUF_INIT;

		strbuf_addf(&msg, "%s (it is also the List-Unsubscribe mailto while "
			    "[newsletter] unsubscribe_mailto is empty: set that)", why);
		errors += bad(cfg, &cfg->from, addr.buf, msg.buf) < 0;
		strbuf_release(&msg);
	}
	strbuf_release(&name);
	strbuf_release(&addr);
	return errors ? -1 : 0;
}

int config_envelope_from(const struct config *cfg, struct strbuf *out)
{
	const char *why;

	if (*cfg->envelope_from) {
		strbuf_addstr(out, cfg->envelope_from);
		return 0;
	}
	if (address_split_mailbox(cfg->from, NULL, out, &why) < 0)
		return error("[newsletter] from '%s' is not a usable envelope sender: %s",
			     cfg->from, why);
	return 0;
}
