#ifndef MAILBOX_INTERNAL_H
#define MAILBOX_INTERNAL_H
/*
 * What mailbox.c (the selector) shares with its backends
 * (mailbox_imap.c, mailbox_pop3.c, mailbox_maildir.c, mailbox_mbox.c).
 */
#include "bounce/mailbox.h"

enum mailbox_processed {
	MAILBOX_MOVE,		/* processed = move:FOLDER */
	MAILBOX_SEEN,		/* processed = seen */
	MAILBOX_DELETE,		/* processed = delete */
};

/* The folder unrecognised messages go to, in every backend that has folders. */
#define MAILBOX_UNRECOGNIZED_FOLDER "newsbeat-unrecognized"

struct mailbox_ops {
	int (*next)(struct mailbox *mb, struct mailbox_msg *m);
	int (*dispose)(struct mailbox *mb, const struct mailbox_msg *m,
		       enum mailbox_disposition d);
	void (*close)(struct mailbox *mb);	/* frees mb->priv */
};

struct mailbox {
	const struct mailbox_ops *ops;
	struct mailbox_spec spec;
	enum mailbox_processed processed;
	char *move_folder;	/* MAILBOX_MOVE: the folder; else NULL */
	int read_only;
	int tls_none;
	const char *password;	/* the caller's; lives as long as the opts */
	char *ca_file;		/* NULL: the system trust store */
	long count;		/* -1: unknown */
	char *desc;		/* mailbox_describe() */
	void *priv;		/* the backend's state */
};

/*
 * Each backend's open: fill mb->ops, mb->priv and mb->count, or return -1
 * after error() (mb is then freed by the caller, priv must be NULL).
 */
int mailbox_imap_open(struct mailbox *mb);
int mailbox_pop3_open(struct mailbox *mb);
int mailbox_maildir_open(struct mailbox *mb);
int mailbox_mbox_open(struct mailbox *mb);

/*
 * The destination folder for d, or NULL when d leaves the message where
 * it is (MAILBOX_KEEP, seen, delete).
 */
const char *mailbox_target_folder(const struct mailbox *mb, enum mailbox_disposition d);

/*
 * For the network backends: 1 if the connection must be protected by TLS
 * (the host is not loopback and tls is not none).  STARTTLS/STLS is then
 * required, and a server that does not offer it is refused.
 */
int mailbox_tls_required(const struct mailbox *mb);

#endif
