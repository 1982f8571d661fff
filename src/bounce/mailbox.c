/*
 * The mailbox selector: parses the spec and [bounces] processed, picks the
 * backend, and keeps the rules every backend shares (TLS policy, where a
 * disposition sends a message).
 */
#include "base/common.h"
#include "base/host.h"
#include "base/strbuf.h"
#include "bounce/mailbox_internal.h"

#include <strings.h>
#include <unistd.h>

static const struct {
	const char *prefix;
	enum mailbox_scheme scheme;
	unsigned port;
} schemes[] = {
	{ "imaps://", MAILBOX_IMAPS, 993 },
	{ "imap://", MAILBOX_IMAP, 143 },
	{ "pop3s://", MAILBOX_POP3S, 995 },
	{ "pop3://", MAILBOX_POP3, 110 },
	{ "maildir:", MAILBOX_MAILDIR, 0 },
	{ "mbox:", MAILBOX_MBOX, 0 },
};

/*
 * Percent-decode s[0..n) (RFC 3986 2.1).  NULL for a malformed escape or
 * a decoded NUL, CR or LF, which could end or split a protocol command.
 */
static char *percent_decode(const char *s, size_t n)
{
	struct strbuf sb = STRBUF_INIT;

	if (strbuf_add_percent_decoded(&sb, s, n) < 0 || memchr(sb.buf, '\0', sb.len) ||
	    memchr(sb.buf, '\r', sb.len) || memchr(sb.buf, '\n', sb.len)) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}

void mailbox_spec_release(struct mailbox_spec *s)
{
	free(s->user);
	free(s->host);
	free(s->folder);
	free(s->path);
	memset(s, 0, sizeof(*s));
}

/* USER@HOST[:PORT][/FOLDER], after the scheme. */
static int parse_server(const char *spec, const char *prefix, const char *rest,
			struct mailbox_spec *s)
{
	const char *at, *host, *hend, *p, *slash;
	int is_pop = s->scheme == MAILBOX_POP3 || s->scheme == MAILBOX_POP3S;

	slash = strchr(rest, '/');
	if (!slash)
		slash = rest + strlen(rest);
	/* The last '@' before the path: a login may carry an unencoded '@'. */
	at = NULL;
	for (p = rest; p < slash; p++)
		if (*p == '@')
			at = p;
	{
		/*
		 * USER:PASSWORD before the '@', or with the '@' forgotten
		 * ("bounces:hunter2/INBOX": no HOST:PORT, whose port is digits):
		 * refused before any message could repeat the spec.
		 */
		const char *end = at ? at : slash, *colon = NULL;

		for (p = rest; p < end && !colon; p++)
			if (*p == ':')
				colon = p;

		if (colon && (at || strspn(colon + 1, "0123456789") != (size_t)(slash - colon - 1)))
			return error("[bounces] mailbox: a password in the mailbox spec is refused; "
				     "put it in the environment variable [bounces] password_env names");
	}
	if (!at || at == rest)
		return error("[bounces] mailbox '%s': no user; write %sUSER@HOST%s",
			     spec, prefix, is_pop ? "" : "/FOLDER");
	s->user = percent_decode(rest, (size_t)(at - rest));
	if (!s->user)
		return error("[bounces] mailbox '%s': bad %%-escape in the user name", spec);

	host = at + 1;
	if (*host == '[') {
		hend = memchr(host, ']', (size_t)(slash - host));
		if (!hend)
			return error("[bounces] mailbox '%s': '[' without ']' in the host", spec);
		s->host = xstrndup(host + 1, (size_t)(hend - host - 1));
		p = hend + 1;
	} else {
		for (hend = host; hend < slash && *hend != ':'; hend++)
			;
		s->host = xstrndup(host, (size_t)(hend - host));
		p = hend;
	}
	if (!*s->host)
		return error("[bounces] mailbox '%s': no host after '@'", spec);
	for (const char *c = s->host; *c; c++)
		if (!(c[0] == '.' || c[0] == '-' || c[0] == ':' || c[0] == '_' ||
		      (c[0] >= '0' && c[0] <= '9') || (c[0] >= 'a' && c[0] <= 'z') ||
		      (c[0] >= 'A' && c[0] <= 'Z')))
			return error("[bounces] mailbox '%s': host '%s' is not a host name",
				     spec, s->host);
	if (p < slash) {
		unsigned long port = 0;

		if (*p != ':' || p + 1 == slash)
			return error("[bounces] mailbox '%s': expected ':PORT' or '/' after the host", spec);
		for (p++; p < slash; p++) {
			if (*p < '0' || *p > '9' || (port = port * 10 + (unsigned long)(*p - '0')) > 65535)
				return error("[bounces] mailbox '%s': the port must be a number 1-65535", spec);
		}
		if (!port)
			return error("[bounces] mailbox '%s': the port must be a number 1-65535", spec);
		s->port = (unsigned)port;
	}
	if (is_pop) {
		if (*slash && slash[1])
			return error("[bounces] mailbox '%s': POP3 has no folders; "
				     "drop '%s' (or use imaps:// to read a folder)", spec, slash);
		return 0;
	}
	if (*slash && slash[1]) {
		s->folder = percent_decode(slash + 1, strlen(slash + 1));
		if (!s->folder)
			return error("[bounces] mailbox '%s': bad %%-escape in the folder", spec);
	} else {
		s->folder = xstrdup("INBOX");
	}
	return 0;
}

int mailbox_spec_parse(const char *spec, struct mailbox_spec *s)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < ARRAY_SIZE(schemes); i++) {
		size_t n = strlen(schemes[i].prefix);
		const char *rest = spec + n;

		if (strncasecmp(spec, schemes[i].prefix, n))
			continue;
		s->scheme = schemes[i].scheme;
		s->port = schemes[i].port;
		if (strpbrk(spec, "\r\n")) {
			error("[bounces] mailbox: a line break in the mailbox spec");
			goto fail;
		}
		if (s->scheme == MAILBOX_MAILDIR || s->scheme == MAILBOX_MBOX) {
			if (!*rest) {
				error("[bounces] mailbox '%s': no path; write %sPATH",
				      spec, schemes[i].prefix);
				goto fail;
			}
			s->path = xstrdup(rest);
			return 0;
		}
		if (parse_server(spec, schemes[i].prefix, rest, s) < 0)
			goto fail;
		return 0;
	}
	error("[bounces] mailbox '%s': unknown kind; write imaps://USER@HOST/FOLDER, "
	      "imap://, pop3s://, pop3://, maildir:PATH or mbox:PATH", spec);
fail:
	mailbox_spec_release(s);
	return -1;
}

static const char *scheme_name(enum mailbox_scheme sc)
{
	switch (sc) {
	case MAILBOX_IMAPS: return "imaps";
	case MAILBOX_IMAP: return "imap";
	case MAILBOX_POP3S: return "pop3s";
	case MAILBOX_POP3: return "pop3";
	case MAILBOX_MAILDIR: return "maildir";
	case MAILBOX_MBOX: return "mbox";
	}
	return "?";
}

static void describe(struct mailbox *mb)
{
	struct strbuf sb = STRBUF_INIT;
	const struct mailbox_spec *s = &mb->spec;

	if (s->path) {
		strbuf_addf(&sb, "%s:%s", scheme_name(s->scheme), s->path);
	} else {
		int v6 = strchr(s->host, ':') != NULL;

		strbuf_addf(&sb, "%s://%s@%s%s%s:%u%s%s", scheme_name(s->scheme), s->user,
			    v6 ? "[" : "", s->host, v6 ? "]" : "", s->port,
			    s->folder ? "/" : "", s->folder ? s->folder : "");
	}
	mb->desc = strbuf_detach(&sb, NULL);
}

/* [bounces] processed: move:FOLDER | seen | delete. */
static int parse_processed(struct mailbox *mb, const char *p)
{
	if (!p || !*p)
		p = "move:newsbeat-processed";
	if (!strcmp(p, "seen")) {
		mb->processed = MAILBOX_SEEN;
	} else if (!strcmp(p, "delete")) {
		mb->processed = MAILBOX_DELETE;
	} else if (!strncmp(p, "move:", 5) && p[5] && !strpbrk(p + 5, "\r\n")) {
		mb->processed = MAILBOX_MOVE;
		mb->move_folder = xstrdup(p + 5);
	} else {
		return error("[bounces] processed = '%s': write move:FOLDER, seen or delete", p);
	}
	return 0;
}

const char *mailbox_target_folder(const struct mailbox *mb, enum mailbox_disposition d)
{
	if (d == MAILBOX_UNRECOGNIZED)
		return MAILBOX_UNRECOGNIZED_FOLDER;
	if (d == MAILBOX_PROCESSED && mb->processed == MAILBOX_MOVE)
		return mb->move_folder;
	return NULL;
}

int mailbox_tls_required(const struct mailbox *mb)
{
	return !mb->tls_none && !host_is_loopback(mb->spec.host);
}

static void mailbox_free(struct mailbox *mb)
{
	mailbox_spec_release(&mb->spec);
	free(mb->move_folder);
	free(mb->ca_file);
	free(mb->desc);
	free(mb);
}

struct mailbox *mailbox_open(const struct mailbox_opts *o)
{
	struct mailbox *mb = xcalloc(1, sizeof(*mb));
	int r;

	if (mailbox_spec_parse(o->spec, &mb->spec) < 0 || parse_processed(mb, o->processed) < 0) {
		mailbox_free(mb);
		return NULL;
	}
	mb->read_only = o->read_only;
	mb->tls_none = o->tls_none;
	mb->password = o->password;
	mb->ca_file = o->ca_file && *o->ca_file ? xstrdup(o->ca_file) : NULL;
	mb->count = -1;
	describe(mb);
	/* Before connecting: a typo in ca_file is not a certificate problem. */
	if (mb->ca_file && mb->spec.host && access(mb->ca_file, R_OK) < 0) {
		error("[bounces] ca_file '%s': %s", mb->ca_file, strerror(errno));
		mailbox_free(mb);
		return NULL;
	}
	switch (mb->spec.scheme) {
	case MAILBOX_IMAPS:
	case MAILBOX_IMAP:
		r = mailbox_imap_open(mb);
		break;
	case MAILBOX_POP3S:
	case MAILBOX_POP3:
		r = mailbox_pop3_open(mb);
		break;
	case MAILBOX_MAILDIR:
		r = mailbox_maildir_open(mb);
		break;
	case MAILBOX_MBOX:
	default:
		r = mailbox_mbox_open(mb);
		break;
	}
	if (r < 0) {
		mailbox_free(mb);
		return NULL;
	}
	return mb;
}

long mailbox_count(const struct mailbox *mb)
{
	return mb->count;
}

int mailbox_next(struct mailbox *mb, struct mailbox_msg *m)
{
	memset(m, 0, sizeof(*m));
	return mb->ops->next(mb, m);
}

int mailbox_dispose(struct mailbox *mb, const struct mailbox_msg *m,
		    enum mailbox_disposition d)
{
	if (mb->read_only || d == MAILBOX_KEEP)
		return 0;
	return mb->ops->dispose(mb, m, d);
}

const char *mailbox_describe(const struct mailbox *mb)
{
	return mb->desc;
}

void mailbox_msg_release(struct mailbox_msg *m)
{
	free(m->id);
	free(m->data);
	memset(m, 0, sizeof(*m));
}

void mailbox_close(struct mailbox *mb)
{
	if (!mb)
		return;
	mb->ops->close(mb);
	mailbox_free(mb);
}
