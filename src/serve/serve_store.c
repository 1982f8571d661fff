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
#include "store/store_spool.h"

#include <time.h>

/* How often spooled unsubscribes are tried while they wait. */
#define SPOOL_RETRY_SECONDS 2

/* Apply the spool if there is one; under store_lock. */
static void apply_spool(struct serve_app *app)
{
	int n;

	if (!store_spool_pending(app->database))
		return;
	n = store_spool_apply(app->store);
	if (n > 0)
		warning("applied %d unsubscribe(s) that had waited for the database", n);
}

static void *spool_main(void *arg)
{
	struct serve_app *app = arg;

	pthread_mutex_lock(&app->spool_lock);
	while (!app->spool_stopping) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += SPOOL_RETRY_SECONDS;
		pthread_cond_timedwait(&app->spool_wake, &app->spool_lock, &until);
		if (app->spool_stopping)
			break;
		pthread_mutex_unlock(&app->spool_lock);
		pthread_mutex_lock(&app->store_lock);
		apply_spool(app);
		pthread_mutex_unlock(&app->store_lock);
		pthread_mutex_lock(&app->spool_lock);
	}
	pthread_mutex_unlock(&app->spool_lock);
	return NULL;
}

int serve_store_open(struct serve_app *app)
{
	if (!(app->store = store_open(app->database)))
		return -1;
	/* What a previous serve spooled and could not apply before it stopped. */
	apply_spool(app);
	pthread_mutex_init(&app->spool_lock, NULL);
	pthread_cond_init(&app->spool_wake, NULL);
	app->spool_started = pthread_create(&app->spool_thread, NULL, spool_main, app) == 0;
	if (!app->spool_started)
		warning("cannot start the thread that retries waiting unsubscribes: "
			"they are applied at the next request or send");
	return 0;
}

void serve_store_close(struct serve_app *app)
{
	if (app->spool_started) {
		pthread_mutex_lock(&app->spool_lock);
		app->spool_stopping = 1;
		pthread_cond_signal(&app->spool_wake);
		pthread_mutex_unlock(&app->spool_lock);
		pthread_join(app->spool_thread, NULL);
		app->spool_started = 0;
	}
	if (app->store) {
		pthread_mutex_destroy(&app->spool_lock);
		pthread_cond_destroy(&app->spool_wake);
	}
	store_close(app->store);
	app->store = NULL;
}

int serve_store_unsubscribe(struct serve_app *app, const char *email, const char *list)
{
	int r;

	pthread_mutex_lock(&app->store_lock);
	apply_spool(app);
	/* Not a member (STORE_NONE) is fine: the page is the same. */
	r = store_unsubscribe(app->store, email, list, "list-unsubscribe-post");
	/*
	 * The database stayed locked (an import, a send's snapshot) or
	 * failed: the provider that posted a one-click unsubscribe will not
	 * ask again, so it is kept in the spool and applied once it can be.
	 */
	if (r < 0 && store_spool_unsubscribe(app->database, email, list, "list-unsubscribe-post",
					     (int64_t)time(NULL)) == 0) {
		warning("unsubscribe of %s from '%s' kept in the spool beside the database; "
			"it is applied as soon as the database is free", email, list);
		r = 0;
	}
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
