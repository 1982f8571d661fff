/*
 * IMAP backend (RFC 3501, MOVE RFC 6851, UIDPLUS RFC 4315) over libetpan:
 * imaps:// is TLS from the first byte, imap:// upgrades with STARTTLS.
 * Every TLS peer is verified (tls_verify.c) before LOGIN.
 *
 * Messages are listed once by UID (UID SEARCH ALL, 4 bytes each) and
 * fetched one at a time with BODY.PEEK[], so memory stays flat however
 * large the mailbox and nothing is marked \Seen until disposed of.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "bounce/mailbox_internal.h"
#include "bounce/tls_verify.h"

#include <libetpan/libetpan.h>

struct imap {
	mailimap *s;
	uint32_t *uids;
	size_t nuids, next;
	int has_move, has_uidplus;
	int need_expunge;	/* \Deleted set without UIDPLUS: EXPUNGE at close */
	char *ensured[2];	/* folders known to exist */
};

#define IMAP_TIMEOUT 60

/* The server's last response text, printable and short, for messages. */
static const char *server_text(const struct imap *im)
{
	static char buf[160];
	const char *r = im->s && im->s->imap_response ? im->s->imap_response : "";
	size_t i, n = 0;

	for (i = 0; r[i] && n + 1 < sizeof(buf); i++)
		buf[n++] = (r[i] >= 0x20 && r[i] < 0x7f) ? r[i] : '?';
	buf[n] = '\0';
	return n ? buf : "no reason given";
}

static int connected(int r)
{
	return r == MAILIMAP_NO_ERROR || r == MAILIMAP_NO_ERROR_AUTHENTICATED ||
	       r == MAILIMAP_NO_ERROR_NON_AUTHENTICATED;
}

static void imap_free(struct imap *im)
{
	if (!im)
		return;
	if (im->s)
		mailimap_free(im->s);
	free(im->uids);
	free(im->ensured[0]);
	free(im->ensured[1]);
	free(im);
}

/* TLS: verify the peer (before any credential), as every TLS path must. */
static int verify(struct mailbox *mb, struct imap *im)
{
	return tls_verify_stream(im->s->imap_stream, mb->spec.host, mb->ca_file, mb->desc);
}

/* CAPABILITY, so mailimap_has_extension() sees the current list. */
static int refresh_caps(struct mailbox *mb, struct imap *im)
{
	struct mailimap_capability_data *caps = NULL;

	if (mailimap_capability(im->s, &caps) != MAILIMAP_NO_ERROR)
		return error("%s: CAPABILITY failed (%s)", mb->desc, server_text(im));
	mailimap_capability_data_free(caps);
	return 0;
}

static int connect_tls(struct mailbox *mb, struct imap *im)
{
	const char *host = mb->spec.host;
	int r;

	if (mb->spec.scheme == MAILBOX_IMAPS) {
		r = mailimap_ssl_connect_with_callback(im->s, host, (uint16_t)mb->spec.port,
						       tls_verify_sni_callback, mb->spec.host);
		if (!connected(r))
			return error("%s: cannot connect with TLS to %s port %u; check the host "
				     "and port in [bounces] mailbox (imaps:// is usually port 993)",
				     mb->desc, host, mb->spec.port);
		return verify(mb, im);
	}
	r = mailimap_socket_connect(im->s, host, (uint16_t)mb->spec.port);
	if (!connected(r))
		return error("%s: cannot connect to %s port %u; check the host and port in "
			     "[bounces] mailbox (imap:// is usually port 143)", mb->desc, host,
			     mb->spec.port);
	if (mb->tls_none)
		return 0;
	if (refresh_caps(mb, im) < 0)
		return -1;
	if (!mailimap_has_extension(im->s, "STARTTLS")) {
		/* Loopback never leaves the machine: plain text is allowed there. */
		if (!mailbox_tls_required(mb))
			return 0;
		return error("%s: the server does not offer STARTTLS; refusing to send the "
			     "password in clear: use imaps://, or set [bounces] tls = none "
			     "only on a network you trust", mb->desc);
	}
	r = mailimap_socket_starttls_with_callback(im->s, tls_verify_sni_callback, mb->spec.host);
	if (r != MAILIMAP_NO_ERROR)
		return error("%s: STARTTLS failed (%s)", mb->desc, server_text(im));
	return verify(mb, im);
}

/* 1 if folder exists (LIST "" folder answers it), 0 if not, -1 after error(). */
static int folder_exists(struct mailbox *mb, struct imap *im, const char *folder)
{
	clist *list = NULL;
	int r = mailimap_list(im->s, "", folder, &list), n;

	if (r != MAILIMAP_NO_ERROR)
		return error("%s: LIST '%s' failed (%s)", mb->desc, folder, server_text(im));
	n = list ? clist_count(list) : 0;
	if (list)
		mailimap_list_result_free(list);
	return n > 0;
}

static int ensure_folder(struct mailbox *mb, struct imap *im, const char *folder)
{
	size_t i;
	int r;

	for (i = 0; i < ARRAY_SIZE(im->ensured); i++)
		if (im->ensured[i] && !strcmp(im->ensured[i], folder))
			return 0;
	r = folder_exists(mb, im, folder);
	if (r < 0)
		return -1;
	if (!r && mailimap_create(im->s, folder) != MAILIMAP_NO_ERROR)
		return error("%s: cannot create folder '%s' (%s); create it or change "
			     "[bounces] processed", mb->desc, folder, server_text(im));
	for (i = 0; i < ARRAY_SIZE(im->ensured); i++)
		if (!im->ensured[i]) {
			im->ensured[i] = xstrdup(folder);
			break;
		}
	return 0;
}

static int list_uids(struct mailbox *mb, struct imap *im)
{
	/* \Deleted means gone: a crash between COPY + \Deleted and EXPUNGE
	 * must not hand the message out a second time. */
	struct mailimap_search_key *key = mailimap_search_key_new(MAILIMAP_SEARCH_KEY_UNDELETED,
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL);
	clist *res = NULL;
	clistiter *it;
	size_t alloc = 0;
	int r = mailimap_uid_search(im->s, NULL, key, &res);

	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return error("%s: UID SEARCH failed (%s)", mb->desc, server_text(im));
	for (it = clist_begin(res); it; it = clist_next(it)) {
		ALLOC_GROW(im->uids, im->nuids + 1, alloc);
		im->uids[im->nuids++] = *(uint32_t *)clist_content(it);
	}
	mailimap_search_result_free(res);
	return 0;
}

/*
 * IMAP folder names are 7-bit (modified UTF-7, RFC 3501 5.1.3); a UTF-8
 * name would reach the server as bytes it reads differently.
 */
static int check_folder_name(struct mailbox *mb, const char *folder)
{
	const unsigned char *p;

	for (p = (const unsigned char *)folder; *p; p++)
		if (*p >= 0x80 || *p < 0x20)
			return error("%s: folder '%s': only ASCII folder names are supported; "
				     "write other names in IMAP's modified UTF-7 (RFC 3501 5.1.3)",
				     mb->desc, folder);
	return 0;
}

static int imap_login_select(struct mailbox *mb, struct imap *im)
{
	const char *folder = mb->spec.folder;
	int r;

	if (!mb->password)
		return error("%s: no password: export the environment variable "
			     "[bounces] password_env names", mb->desc);
	r = mailimap_login(im->s, mb->spec.user, mb->password);
	if (r != MAILIMAP_NO_ERROR)
		return error("%s: login as '%s' refused (%s); check the user in [bounces] "
			     "mailbox and the password in the [bounces] password_env variable",
			     mb->desc, mb->spec.user, server_text(im));
	if (refresh_caps(mb, im) < 0)
		return -1;
	im->has_move = mailimap_has_extension(im->s, "MOVE");
	im->has_uidplus = mailimap_has_extension(im->s, "UIDPLUS");
	r = folder_exists(mb, im, folder);
	if (r < 0)
		return -1;
	if (!r)
		return error("%s: folder '%s' does not exist on %s; check the folder in "
			     "[bounces] mailbox", mb->desc, folder, mb->spec.host);
	/* EXAMINE opens the folder read-only on the server side too (RFC 3501 6.3.2). */
	r = mb->read_only ? mailimap_examine(im->s, folder) : mailimap_select(im->s, folder);
	if (r != MAILIMAP_NO_ERROR)
		return error("%s: cannot open folder '%s' (%s)", mb->desc, folder, server_text(im));
	if (im->s->imap_selection_info)
		mb->count = (long)im->s->imap_selection_info->sel_exists;
	return list_uids(mb, im);
}

static int imap_next(struct mailbox *mb, struct mailbox_msg *m)
{
	struct imap *im = mb->priv;

	while (im->next < im->nuids) {
		uint32_t uid = im->uids[im->next++];
		struct mailimap_set *set = mailimap_set_new_single(uid);
		struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
		clist *res = NULL;
		clistiter *a, *b;
		int r;

		mailimap_fetch_type_new_fetch_att_list_add(ft,
			mailimap_fetch_att_new_body_peek_section(mailimap_section_new(NULL)));
		r = mailimap_uid_fetch(im->s, set, ft, &res);
		mailimap_fetch_type_free(ft);
		mailimap_set_free(set);
		if (r != MAILIMAP_NO_ERROR)
			return error("%s: UID FETCH %u failed (%s)", mb->desc, uid, server_text(im));
		for (a = clist_begin(res); a && !m->data; a = clist_next(a)) {
			struct mailimap_msg_att *att = clist_content(a);

			for (b = clist_begin(att->att_list); b; b = clist_next(b)) {
				struct mailimap_msg_att_item *item = clist_content(b);
				struct mailimap_msg_att_body_section *sec;

				if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC ||
				    item->att_data.att_static->att_type != MAILIMAP_MSG_ATT_BODY_SECTION)
					continue;
				sec = item->att_data.att_static->att_data.att_body_section;
				if (!sec || !sec->sec_body_part)
					continue;
				m->data = xmalloc(sec->sec_length + 1);
				memcpy(m->data, sec->sec_body_part, sec->sec_length);
				m->data[sec->sec_length] = '\0';
				m->len = sec->sec_length;
				break;
			}
		}
		mailimap_fetch_list_free(res);
		/* Gone since the search (another client expunged it): skip it. */
		if (!m->data)
			continue;
		m->id = xmalloc(16);
		snprintf(m->id, 16, "%u", uid);
		return 1;
	}
	return 0;
}

static int store_flag(struct mailbox *mb, struct imap *im, unsigned long uid,
		      struct mailimap_set *set, struct mailimap_flag *flag, const char *what)
{
	struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
	struct mailimap_store_att_flags *sa;
	int r;

	mailimap_flag_list_add(fl, flag);
	sa = mailimap_store_att_flags_new_add_flags_silent(fl);
	r = mailimap_uid_store(im->s, set, sa);
	mailimap_store_att_flags_free(sa);
	if (r != MAILIMAP_NO_ERROR)
		return error("%s: cannot flag message %lu %s (%s)", mb->desc, uid, what,
			     server_text(im));
	return 0;
}

/* \Deleted is set: remove it now with UIDPLUS, else at close. */
static int expunge_one(struct mailbox *mb, struct imap *im, struct mailimap_set *set)
{
	if (!im->has_uidplus) {
		im->need_expunge = 1;
		return 0;
	}
	if (mailimap_uid_expunge(im->s, set) != MAILIMAP_NO_ERROR)
		return error("%s: UID EXPUNGE failed (%s)", mb->desc, server_text(im));
	return 0;
}

static int imap_dispose(struct mailbox *mb, const struct mailbox_msg *m,
			enum mailbox_disposition d)
{
	struct imap *im = mb->priv;
	const char *folder = mailbox_target_folder(mb, d);
	char *end;
	unsigned long uid = strtoul(m->id, &end, 10);
	struct mailimap_set *set;
	int r = 0;

	if (*end || !uid || uid > UINT32_MAX)
		BUG("IMAP message id '%s' is not a UID", m->id);
	if (folder && ensure_folder(mb, im, folder) < 0)
		return -1;
	set = mailimap_set_new_single((uint32_t)uid);
	if (folder) {
		/*
		 * UID MOVE (and UID COPY) of a UID that no longer exists answers
		 * OK (RFC 6851 3.3): that is fine here, the message is gone
		 * either way, so OK is taken as done.
		 */
		if (im->has_move) {
			if (mailimap_uid_move(im->s, set, folder) != MAILIMAP_NO_ERROR)
				r = error("%s: cannot move message %lu to '%s' (%s)", mb->desc,
					  uid, folder, server_text(im));
		} else if (mailimap_uid_copy(im->s, set, folder) != MAILIMAP_NO_ERROR) {
			r = error("%s: cannot copy message %lu to '%s' (%s)", mb->desc, uid,
				  folder, server_text(im));
		} else if ((r = store_flag(mb, im, uid, set, mailimap_flag_new_deleted(), "\\Deleted")) == 0) {
			r = expunge_one(mb, im, set);
		}
	} else if (mb->processed == MAILBOX_SEEN) {
		r = store_flag(mb, im, uid, set, mailimap_flag_new_seen(), "\\Seen");
	} else {
		r = store_flag(mb, im, uid, set, mailimap_flag_new_deleted(), "\\Deleted");
		if (!r)
			r = expunge_one(mb, im, set);
	}
	mailimap_set_free(set);
	return r;
}

static void imap_close(struct mailbox *mb)
{
	struct imap *im = mb->priv;

	if (im->need_expunge && mailimap_expunge(im->s) != MAILIMAP_NO_ERROR)
		error("%s: EXPUNGE failed (%s); messages flagged \\Deleted remain",
		      mb->desc, server_text(im));
	mailimap_logout(im->s);
	imap_free(im);
	mb->priv = NULL;
}

static const struct mailbox_ops imap_ops = { imap_next, imap_dispose, imap_close };

int mailbox_imap_open(struct mailbox *mb)
{
	struct imap *im;

	if (check_folder_name(mb, mb->spec.folder) < 0 ||
	    (mb->move_folder && check_folder_name(mb, mb->move_folder) < 0))
		return -1;
	im = xcalloc(1, sizeof(*im));
	im->s = mailimap_new(0, NULL);
	if (!im->s) {
		imap_free(im);
		return error("%s: out of memory", mb->desc);
	}
	mailimap_set_timeout(im->s, IMAP_TIMEOUT);
	if (connect_tls(mb, im) < 0 || imap_login_select(mb, im) < 0) {
		imap_free(im);
		return -1;
	}
	mb->ops = &imap_ops;
	mb->priv = im;
	return 0;
}
