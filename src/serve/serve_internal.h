#ifndef SERVE_INTERNAL_H
#define SERVE_INTERNAL_H
/*
 * Inside `newsbeat serve`: what serve.c (the only file that speaks
 * libmicrohttpd) shares with the parts that work on plain buffers.
 * Grouped by the file that implements them.
 */
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include "base/strbuf.h"

struct config;
struct store;
struct tval;

/* Largest request body we read (forms are a few hundred bytes). */
#define SERVE_BODY_MAX 8192
/* Longest value kept for one form field; longer ones make the form invalid. */
#define SERVE_FIELD_MAX 1024

/*
 * What a handler answers; serve.c turns it into an HTTP response and adds
 * the security headers every response carries.
 */
struct serve_reply {
	int status;
	const char *content_type;	/* static string */
	struct strbuf body;
	char *location;			/* owned; Location header or NULL */
	unsigned retry_after;		/* seconds; 0: no Retry-After */
	const char *allow;		/* Allow header for 405, static */
	int cacheable;			/* archive files; dynamic pages are no-store */
	int fd;				/* a file to send instead of body, or -1 */
	uint64_t size;			/* its size */
};

void serve_reply_init(struct serve_reply *r);
void serve_reply_release(struct serve_reply *r);

/* The fields of a submitted form that any page reads. */
struct serve_form {
	char *one_click;	/* "List-Unsubscribe" (RFC 8058 §3.1) */
	char *email;
	char *name;
	char *website;		/* honeypot: people leave it empty, bots fill it */
	int invalid;		/* a field was too long or repeated */
};

void serve_form_release(struct serve_form *f);
/* Add (key, data) from a form parser; unknown and NULL keys are ignored. */
void serve_form_add(struct serve_form *f, const char *key, const char *data, size_t off, size_t len);

/* The state shared by all request threads. */
struct serve_app {
	const struct config *cfg;
	const char *secret;
	char *archive_root;		/* realpath of [paths] archive, NULL if absent */
	struct serve_pages *pages;
	struct serve_ratelimit *subscribe_rl;
	pthread_mutex_t store_lock;	/* one SQLite connection, one writer at a time */
	struct store *store;
	const char *database;
	struct serve_mailer *mailer;	/* confirmation e-mails, off the request threads */
	/* Applies spooled unsubscribes (store_spool.h) while they wait. */
	pthread_t spool_thread;
	int spool_started, spool_stopping;	/* under spool_lock */
	pthread_mutex_t spool_lock;
	pthread_cond_t spool_wake;
};

/* ---- serve_static.c ---- */

/*
 * Map a decoded URL path ("/issues/issue-42.html") to a file under root and
 * fill r: 200 with an open fd, 301 to "dir/" for a directory without a
 * trailing slash, 404 for anything missing, hidden (a segment starting with
 * '.'), outside root (".." segments, symlinks out) or a directory without
 * index.html.  Never reports via error().
 */
void serve_static(const char *root, const char *path, struct serve_reply *r);

/* The Content-Type for a file name (by extension), a static string. */
const char *serve_content_type(const char *name);

/* ---- serve_pages.c ---- */

enum serve_page {
	PAGE_UNSUBSCRIBE,	/* page-unsubscribe.html: confirm button */
	PAGE_UNSUBSCRIBED,	/* page-unsubscribed.html */
	PAGE_SUBSCRIBE,		/* page-subscribe.html: the form */
	PAGE_SUBSCRIBE_SENT,	/* page-subscribe-sent.html: check your inbox */
	PAGE_CONFIRM,		/* page-confirm.html: confirm button */
	PAGE_CONFIRMED,		/* page-confirmed.html */
	PAGE_MESSAGE,		/* page-message.html: title + message (errors) */
	PAGE__COUNT
};

enum serve_mail {
	MAIL_CONFIRM_TEXT,	/* confirm-email.txt */
	MAIL_CONFIRM_HTML,	/* confirm-email.html */
	MAIL__COUNT
};

/*
 * Load and compile every page and mail template from [paths] templates,
 * falling back file by file to the installed ones.  NULL after error().
 */
struct serve_pages *serve_pages_load(const struct config *cfg);
void serve_pages_free(struct serve_pages *p);

/*
 * Render a page into r->body (text/html) with `ctx` on top of the shared
 * context (newsletter.*, archive_url, subscribe_url).  ctx may be NULL.
 * A template that never ends with this ctx (tmpl.h; load renders each one
 * with the shared context alone first) gives a plain 500 page after error().
 */
void serve_pages_render(const struct serve_pages *p, enum serve_page page,
			const struct tval *ctx, struct serve_reply *r);
/* A mail part, appended to out: 0, or -1 after error() (then do not send). */
int serve_pages_mail(const struct serve_pages *p, enum serve_mail m,
		     const struct tval *ctx, struct strbuf *out);
/* The stylesheet served at /serve.css. */
const struct strbuf *serve_pages_css(const struct serve_pages *p);
/*
 * The icon served at /serve-icon.svg (the pages link it as icon_url), so
 * a browser asks for neither /favicon.ico nor an archive that serve may
 * not have.  Empty, and not linked, when the templates have no favicon.svg.
 */
const struct strbuf *serve_pages_icon(const struct serve_pages *p);

/* A PAGE_MESSAGE reply with this status, title and message. */
void serve_pages_message(const struct serve_pages *p, struct serve_reply *r,
			 int status, const char *title, const char *message);

/* ---- serve_ratelimit.c ---- */

/*
 * At most `limit` events per `window` seconds per client
 * (serve_ratelimit_key()), fixed windows, in a bounded table (old keys
 * are forgotten first).
 */
struct serve_ratelimit *serve_ratelimit_new(unsigned limit, unsigned window);
void serve_ratelimit_free(struct serve_ratelimit *rl);
/* Count one event for a client address; 0 if allowed, else the seconds until the next is allowed. */
unsigned serve_ratelimit_hit(struct serve_ratelimit *rl, const char *client, time_t now);

#define SERVE_RATELIMIT_KEYMAX 64
/*
 * The key a client address is counted under: an IPv6 address by its /64
 * prefix ("2001:db8:1:2::/64"), an IPv4-mapped IPv6 address as the IPv4
 * address, anything else as it is (truncated to fit).
 */
void serve_ratelimit_key(const char *client, char out[SERVE_RATELIMIT_KEYMAX]);

/* ---- serve_store.c: what serve needs from the subscriber store ---- */

/*
 * Each takes app->store_lock and returns -1 after error() when the store
 * fails.
 */
/* Open [paths] database (created if missing).  0 or -1 after error(). */
int serve_store_open(struct serve_app *app);
/* Mark (email, list) unsubscribed, committed before returning; repeating is fine.  0 or -1. */
int serve_store_unsubscribe(struct serve_app *app, const char *email, const char *list);
/*
 * Record a subscription request (store_subscribe_request() with [serve]
 * confirm_interval): 1 if a confirmation e-mail should go out now, 0 if
 * the address must not be mailed now (unsubscribed, bounced, complained,
 * suppressed, or mailed within the interval), -1 after error().  `name`
 * is held until the confirmation; it never changes a subscriber before.
 */
int serve_store_subscribe(struct serve_app *app, const char *email, const char *name,
			  const char *list, int64_t now);
/*
 * Confirm (store_confirm()): 1 if the membership is active now, 0 if it
 * cannot be (unsubscribed, bounced, complained, suppressed, not
 * requested), -1.
 */
int serve_store_confirm(struct serve_app *app, const char *email, const char *list);
/* The confirmation asked for did not go out: the form may ask again at once. */
void serve_store_subscribe_unsent(struct serve_app *app, const char *email, const char *list);
void serve_store_close(struct serve_app *app);

/* ---- serve_mailer.c ---- */

/*
 * Sends one queued e-mail: 0, or -1 after error().  The mail thread
 * calls it for each job in turn (serve.c passes serve_send_confirmation):
 * the queue only carries work, it does not know what a confirmation is,
 * so the request handlers that queue and the code that sends do not
 * call each other through it.
 */
typedef int serve_mailer_send_fn(void *ctx, const char *email, const char *list);

/*
 * Start the thread that sends confirmation e-mails, one at a time through
 * send(ctx, ...).  NULL after error().
 */
struct serve_mailer *serve_mailer_start(serve_mailer_send_fn *send, void *ctx, unsigned max_queue);
/*
 * Queue a confirmation e-mail to email for list; copies the strings.  0,
 * or -1 when the queue is full or stopping (answer 503).
 */
int serve_mailer_queue(struct serve_mailer *m, const char *email, const char *list);
/*
 * Finish the e-mail in flight, drop (with a warning) the ones still
 * queued, join the thread and free.  NULL is fine.
 */
void serve_mailer_stop(struct serve_mailer *m);

/* ---- serve_actions.c ---- */

enum serve_method { SERVE_GET, SERVE_HEAD, SERVE_POST, SERVE_OTHER };

/*
 * The dynamic pages.  `token` is the t= query argument (may be NULL),
 * `form` the parsed body of a POST (NULL for GET), `client` the client's
 * address for rate limiting.  Each fills r completely.
 */
void serve_unsubscribe(struct serve_app *app, enum serve_method m, const char *token,
		       const struct serve_form *form, struct serve_reply *r);
void serve_subscribe(struct serve_app *app, enum serve_method m, const char *client,
		     const struct serve_form *form, struct serve_reply *r);
void serve_confirm(struct serve_app *app, enum serve_method m, const char *token,
		   const struct serve_form *form, struct serve_reply *r);
/*
 * Build and submit one confirmation e-mail through the configured
 * transport (the mail thread's send function), with a confirm token
 * issued now.
 * It carries no name: whoever filled in the form may not own the mailbox,
 * and their text must not reach it.  0, or -1 after error().
 */
int serve_send_confirmation(struct serve_app *app, const char *email, const char *list);

#endif
