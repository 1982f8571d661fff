/*
 * POP3 backend (RFC 1939, STLS RFC 2595) over libetpan: pop3s:// is TLS
 * from the first byte, pop3:// upgrades with STLS.  Every TLS peer is
 * verified (tls_verify.c) before USER.
 *
 * POP3 has no folders and no flags: a handled message is deleted
 * (processed = delete) or kept; nothing is ever moved.  DELE only marks
 * a message; the server removes it at QUIT (RFC 1939 6), so a crash
 * before the end removes nothing.
 */
#include "base/common.h"
#include "bounce/mailbox_internal.h"
#include "bounce/tls_verify.h"

#include <libetpan/libetpan.h>
#include <strings.h>

struct pop3 {
	mailpop3 *s;
	carray *tab;		/* struct mailpop3_msg_info *, owned by s */
	unsigned next;
	unsigned last;		/* position of the message next() returned last */
};

#define POP3_TIMEOUT 60

static const char *server_text(const struct pop3 *p)
{
	static char buf[160];
	const char *r = p->s && p->s->pop3_response ? p->s->pop3_response : "";
	size_t i, n = 0;

	for (i = 0; r[i] && n + 1 < sizeof(buf); i++)
		buf[n++] = (r[i] >= 0x20 && r[i] < 0x7f) ? r[i] : '?';
	buf[n] = '\0';
	return n ? buf : "no reason given";
}

static void pop3_free(struct pop3 *p)
{
	if (!p)
		return;
	if (p->s)
		mailpop3_free(p->s);
	free(p);
}

static int has_stls(struct pop3 *p)
{
	clist *caps = NULL;
	clistiter *it;
	int found = 0;

	/* A server without CAPA (RFC 2449) offers no STLS either. */
	if (mailpop3_capa(p->s, &caps) != MAILPOP3_NO_ERROR)
		return 0;
	for (it = clist_begin(caps); it; it = clist_next(it)) {
		struct mailpop3_capa *c = clist_content(it);

		if (c->cap_name && !strcasecmp(c->cap_name, "STLS"))
			found = 1;
	}
	mailpop3_capa_resp_free(caps);
	return found;
}

static int connect_tls(struct mailbox *mb, struct pop3 *p)
{
	const char *host = mb->spec.host;
	int r;

	if (mb->spec.scheme == MAILBOX_POP3S) {
		r = mailpop3_ssl_connect_with_callback(p->s, host, (uint16_t)mb->spec.port,
						       tls_verify_sni_callback, mb->spec.host);
		if (r != MAILPOP3_NO_ERROR)
			return error("%s: cannot connect with TLS to %s port %u; check the host "
				     "and port in [bounces] mailbox (pop3s:// is usually port 995)",
				     mb->desc, host, mb->spec.port);
		return tls_verify_stream(p->s->pop3_stream, host, mb->ca_file, mb->desc);
	}
	r = mailpop3_socket_connect(p->s, host, (uint16_t)mb->spec.port);
	if (r != MAILPOP3_NO_ERROR)
		return error("%s: cannot connect to %s port %u; check the host and port in "
			     "[bounces] mailbox (pop3:// is usually port 110)", mb->desc, host,
			     mb->spec.port);
	if (mb->tls_none)
		return 0;
	if (!has_stls(p)) {
		/* Loopback never leaves the machine: plain text is allowed there. */
		if (!mailbox_tls_required(mb))
			return 0;
		return error("%s: the server does not offer STLS; refusing to send the "
			     "password in clear: use pop3s://, or set [bounces] tls = none "
			     "only on a network you trust", mb->desc);
	}
	r = mailpop3_socket_starttls_with_callback(p->s, tls_verify_sni_callback, mb->spec.host);
	if (r != MAILPOP3_NO_ERROR)
		return error("%s: STLS failed (%s)", mb->desc, server_text(p));
	return tls_verify_stream(p->s->pop3_stream, host, mb->ca_file, mb->desc);
}

static int login_list(struct mailbox *mb, struct pop3 *p)
{
	unsigned i;
	long n = 0;

	if (!mb->password)
		return error("%s: no password: export the environment variable "
			     "[bounces] password_env names", mb->desc);
	if (mailpop3_user(p->s, mb->spec.user) != MAILPOP3_NO_ERROR ||
	    mailpop3_pass(p->s, mb->password) != MAILPOP3_NO_ERROR)
		return error("%s: login as '%s' refused (%s); check the user in [bounces] "
			     "mailbox and the password in the [bounces] password_env variable",
			     mb->desc, mb->spec.user, server_text(p));
	if (mailpop3_list(p->s, &p->tab) != MAILPOP3_NO_ERROR)
		return error("%s: LIST failed (%s)", mb->desc, server_text(p));
	for (i = 0; i < carray_count(p->tab); i++) {
		struct mailpop3_msg_info *info = carray_get(p->tab, i);

		if (info && !info->msg_deleted)
			n++;
	}
	mb->count = n;
	return 0;
}

static char *msg_id(const struct mailpop3_msg_info *info)
{
	char buf[32];

	/* UIDL (RFC 1939 7) is stable across sessions; the number is not. */
	if (info->msg_uidl)
		return xstrdup(info->msg_uidl);
	snprintf(buf, sizeof(buf), "%u", info->msg_index);
	return xstrdup(buf);
}

static int pop3_next(struct mailbox *mb, struct mailbox_msg *m)
{
	struct pop3 *p = mb->priv;

	while (p->next < carray_count(p->tab)) {
		unsigned pos = p->next++;
		struct mailpop3_msg_info *info = carray_get(p->tab, pos);
		char *buf = NULL;
		size_t len = 0;
		int r;

		if (!info || info->msg_deleted)
			continue;
		r = mailpop3_retr(p->s, info->msg_index, &buf, &len);
		if (r == MAILPOP3_ERROR_NO_SUCH_MESSAGE)
			continue;
		if (r != MAILPOP3_NO_ERROR)
			return error("%s: RETR %u failed (%s)", mb->desc, info->msg_index,
				     server_text(p));
		m->data = xmalloc(len + 1);
		memcpy(m->data, buf, len);
		m->data[len] = '\0';
		m->len = len;
		mailpop3_retr_free(buf);
		m->id = msg_id(info);
		p->last = pos;
		return 1;
	}
	return 0;
}

static struct mailpop3_msg_info *find(struct pop3 *p, const char *id)
{
	unsigned i, n = carray_count(p->tab);

	/* Usually the message just returned: try it first. */
	for (i = 0; i < n; i++) {
		struct mailpop3_msg_info *info = carray_get(p->tab, (p->last + i) % n);
		char *mid;
		int same;

		if (!info)
			continue;
		mid = msg_id(info);
		same = !strcmp(mid, id);
		free(mid);
		if (same)
			return info;
	}
	return NULL;
}

static int pop3_dispose(struct mailbox *mb, const struct mailbox_msg *m,
			enum mailbox_disposition d)
{
	struct pop3 *p = mb->priv;
	struct mailpop3_msg_info *info;

	/* Unrecognised messages are kept for a person; move and seen cannot be done. */
	if (d != MAILBOX_PROCESSED || mb->processed != MAILBOX_DELETE)
		return 0;
	info = find(p, m->id);
	if (!info)
		return error("%s: no message '%s' to delete", mb->desc, m->id);
	if (info->msg_deleted)
		return 0;
	if (mailpop3_dele(p->s, info->msg_index) != MAILPOP3_NO_ERROR)
		return error("%s: DELE %u failed (%s)", mb->desc, info->msg_index, server_text(p));
	return 0;
}

static void pop3_close(struct mailbox *mb)
{
	struct pop3 *p = mb->priv;

	/* QUIT is what makes the server remove what DELE marked. */
	if (mailpop3_quit(p->s) != MAILPOP3_NO_ERROR && !mb->read_only)
		error("%s: QUIT failed (%s); messages marked for deletion may remain",
		      mb->desc, server_text(p));
	pop3_free(p);
	mb->priv = NULL;
}

static const struct mailbox_ops pop3_ops = { pop3_next, pop3_dispose, pop3_close };

int mailbox_pop3_open(struct mailbox *mb)
{
	struct pop3 *p = xcalloc(1, sizeof(*p));

	p->s = mailpop3_new(0, NULL);
	if (!p->s) {
		free(p);
		return error("%s: out of memory", mb->desc);
	}
	mailpop3_set_timeout(p->s, POP3_TIMEOUT);
	if (connect_tls(mb, p) < 0 || login_list(mb, p) < 0) {
		pop3_free(p);
		return -1;
	}
	if (!mb->read_only && mb->processed != MAILBOX_DELETE)
		warning("%s: POP3 cannot move or flag messages: handled messages stay on the "
			"server (set [bounces] processed = delete to remove them)", mb->desc);
	mb->ops = &pop3_ops;
	mb->priv = p;
	return 0;
}
