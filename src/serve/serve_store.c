/*
 * What serve needs from the subscriber store (store.h), behind one mutex:
 * a struct store is used by one thread at a time, and the web service
 * writes rarely.  Every change is committed by the store before it
 * returns, so the page that says "unsubscribed" is never ahead of the
 * database, and a send in progress skips the address from then on.
 */
#include "base/common.h"
#include "base/config.h"
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

int serve_store_subscribe(struct serve_app *app, const char *email, const char *name,
			  const char *list, int64_t now)
{
	int r;

	pthread_mutex_lock(&app->store_lock);
	r = store_subscribe_request(app->store, email, *name ? name : NULL, list, now,
				    app->cfg->confirm_interval);
	pthread_mutex_unlock(&app->store_lock);
	return r;
}

void serve_store_subscribe_unsent(struct serve_app *app, const char *email, const char *list)
{
	pthread_mutex_lock(&app->store_lock);
	/* Reported by error(); the worst left is the interval's wait. */
	(void)store_subscribe_request_unsent(app->store, email, list);
	pthread_mutex_unlock(&app->store_lock);
}

int serve_store_confirm(struct serve_app *app, const char *email, const char *list)
{
	int status;

	pthread_mutex_lock(&app->store_lock);
	/*
	 * Only a pending (or active) membership is confirmed: a link must
	 * never undo an unsubscribe, a bounce, a complaint or a suppression,
	 * however old or new it is.  Coming back after unsubscribing takes
	 * the editors (`subscribers add --resubscribe`).
	 */
	status = store_confirm(app->store, email, list);
	pthread_mutex_unlock(&app->store_lock);
	if (status < 0)
		return -1;
	return status == STORE_ACTIVE;
}
