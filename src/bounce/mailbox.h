#ifndef MAILBOX_H
#define MAILBOX_H
/*
 * Where bounces are read from: one interface over IMAP, POP3, Maildir
 * and mbox (libetpan), one file per backend (mailbox.c selects).
 *
 * TLS: required unless the host is loopback or tls = none; libetpan does
 * no certificate verification, so the peer's chain and host name are
 * verified here with GnuTLS before any credential is sent, against
 * [bounces] ca_file or the system trust store.
 *
 * A message is disposed of (moved, flagged, deleted) only when the caller
 * says so, after its database transaction committed: a crash re-reads it.
 *
 * The caller should ignore SIGPIPE while a network mailbox is open: a
 * server that drops the connection mid-command would otherwise end the
 * process silently instead of making the call fail with error().
 */
#include <stddef.h>

struct mailbox;

struct mailbox_opts {
	const char *spec;	/* imaps://user@host[:port]/FOLDER, imap://, pop3s://, pop3://, maildir:PATH, mbox:PATH */
	const char *password;	/* NULL: none given */
	int tls_none;		/* [bounces] tls = none */
	const char *ca_file;	/* NULL or "": the system trust store */
	const char *processed;	/* "move:FOLDER" | "seen" | "delete" */
	int read_only;		/* --dry-run: IMAP EXAMINE + BODY.PEEK, no POP3 DELE, no file changed */
};

struct mailbox_msg {
	/*
	 * Stable for this mailbox while the message stays where it is: the
	 * IMAP UID ("42"), the POP3 UIDL, the Maildir file relative to PATH
	 * ("new/1700000000.M1P2.host"), the mbox byte offset of its "From "
	 * line ("1234").
	 */
	char *id;
	char *data;		/* the raw message */
	size_t len;
};
void mailbox_msg_release(struct mailbox_msg *m);

/* What to do with a message once it has been handled. */
enum mailbox_disposition {
	MAILBOX_PROCESSED,	/* per opts.processed (POP3: delete, or kept; mbox: always kept) */
	MAILBOX_UNRECOGNIZED,	/* move to "newsbeat-unrecognized" (Maildir: PATH/.newsbeat-unrecognized);
				 * never deleted (POP3, mbox: kept) */
	MAILBOX_KEEP,		/* leave it as it is */
};

/*
 * Connect, verify, log in and select (or open the files).  Returns NULL
 * after error() naming the mailbox (without the password) and what to do:
 * refused certificate, wrong password, missing folder, unreachable host.
 */
struct mailbox *mailbox_open(const struct mailbox_opts *o);

/* Messages in the mailbox when it was opened, or -1 if unknown. */
long mailbox_count(const struct mailbox *mb);

/* The next message: 1 and *m filled, 0 at the end, -1 after error(). */
int mailbox_next(struct mailbox *mb, struct mailbox_msg *m);

/* 0, or -1 after error().  A no-op with read_only. */
int mailbox_dispose(struct mailbox *mb, const struct mailbox_msg *m,
		    enum mailbox_disposition d);

/* "imaps://user@host:993/INBOX" without the password. */
const char *mailbox_describe(const struct mailbox *mb);

/* Log out / close.  Expunges what was deleted.  NULL is fine. */
void mailbox_close(struct mailbox *mb);

/*
 * A mailbox spec taken apart (pure: no I/O, callable on any string, so
 * it can be fuzzed).  Forms:
 *   imaps://USER@HOST[:PORT][/FOLDER]   TLS from the start (993)
 *   imap://USER@HOST[:PORT][/FOLDER]    STARTTLS (143)
 *   pop3s://USER@HOST[:PORT][/]         TLS from the start (995)
 *   pop3://USER@HOST[:PORT][/]          STLS (110)
 *   maildir:PATH   mbox:PATH
 * USER and FOLDER are percent-decoded ("me%40example.org" is the login
 * "me@example.org"); FOLDER defaults to INBOX; HOST may be an IPv6
 * literal in brackets (stored without them).  A password in the spec
 * ("user:secret@") is refused: it belongs in the environment.
 */
enum mailbox_scheme {
	MAILBOX_IMAPS,
	MAILBOX_IMAP,
	MAILBOX_POP3S,
	MAILBOX_POP3,
	MAILBOX_MAILDIR,
	MAILBOX_MBOX,
};

struct mailbox_spec {
	enum mailbox_scheme scheme;
	char *user;		/* decoded; NULL for maildir/mbox */
	char *host;		/* NULL for maildir/mbox */
	unsigned port;		/* the scheme's default when not given */
	char *folder;		/* IMAP only (default "INBOX"); NULL otherwise */
	char *path;		/* maildir/mbox only */
};

/*
 * 0 and *s filled (release with mailbox_spec_release), or -1 after
 * error() saying what is wrong with the spec and how to write it.
 */
int mailbox_spec_parse(const char *spec, struct mailbox_spec *s);
void mailbox_spec_release(struct mailbox_spec *s);

#endif
