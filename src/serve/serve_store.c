/*
 * What serve needs from the subscriber store (store.h), behind one mutex:
 * a struct store is used by one thread at a time, and the web service
 * writes rarely.  Every change is committed by the store before it
 * returns, so the page that says "unsubscribed" is never ahead of the
 * database, and a send in progress skips the address from then on.
 */
#include "base/common.h"
#include "serve/serve_internal.h"
#include "store/store.h"

int serve_store_open(struct serve_app *app)
{
	if (!(app->store = store_open(app->database)))
		return -1;
	return 0;
}

void serve_store_close(struct serve_app *app)
{
	store_close(app->store);
	app->store = NULL;
}

int serve_store_unsubscribe(struct serve_app *app, const char *email, const char *list)
{
	int r;

	pthread_mutex_lock(&app->store_lock);
	/* Not a member (STORE_NONE) is fine: the page is the same. */
	r = store_unsubscribe(app->store, email, list, "list-unsubscribe-post");
	pthread_mutex_unlock(&app->store_lock);
	return r < 0 ? -1 : 0;
}

/* Addresses we must never mail again, whatever a web form says. */
static int never_mail(struct store *st, const char *email, int status)
{
	int sup;

	if (status == STORE_BOUNCED || status == STORE_COMPLAINED)
		return 1;
	sup = store_is_suppressed(st, email);
	return sup < 0 ? -1 : sup;
}

int serve_store_subscribe(struct serve_app *app, const char *email, const char *name,
			  const char *list)
{
	int status, no, r = -1;

	pthread_mutex_lock(&app->store_lock);
	/*
	 * New addresses become PENDING; existing memberships (active,
	 * pending, unsubscribed, ...) and names are left as they are until
	 * the owner of the mailbox confirms.
	 */
	status = store_subscribe_pending(app->store, email, *name ? name : NULL, list);
	if (status < 0)
		goto out;
	no = never_mail(app->store, email, status);
	if (no < 0)
		goto out;
	r = !no;
out:
	pthread_mutex_unlock(&app->store_lock);
	return r;
}

int serve_store_confirm(struct serve_app *app, const char *email, const char *list)
{
	struct store_subscriber sub = { email, NULL, 0, NULL, NULL };
	enum store_result res;
	int status, no, r = -1;

	pthread_mutex_lock(&app->store_lock);
	status = store_confirm(app->store, email, list);
	if (status < 0)
		goto out;
	if (status == STORE_ACTIVE) {
		r = 1;
		goto out;
	}
	no = never_mail(app->store, email, status);
	if (no < 0)
		goto out;
	if (no) {
		r = 0;
		goto out;
	}
	/*
	 * Unsubscribed earlier (or no record at all): the confirmation is the
	 * mailbox owner's own explicit request, which is what re-activation
	 * needs (issue 3: "unsubscribes stick" unless explicitly undone).
	 */
	if (store_subscribe(app->store, &sub, list, STORE_RESUBSCRIBE, &res, NULL) < 0)
		goto out;
	r = 1;
out:
	pthread_mutex_unlock(&app->store_lock);
	return r;
}
