/*
 * What serve needs from the subscriber store.  Until src/store.h lands,
 * every change is refused with a clear error (the pages answer 503).
 */
#include "common.h"
#include "serve_int.h"

static int unavailable(void)
{
	return error("the subscriber store is not part of this build yet");
}

int serve_store_unsubscribe(struct serve_app *app, const char *email, const char *list)
{
	(void)app;
	(void)email;
	(void)list;
	return unavailable();
}

int serve_store_subscribe(struct serve_app *app, const char *email, const char *name,
			  const char *list)
{
	(void)app;
	(void)email;
	(void)name;
	(void)list;
	return unavailable();
}

int serve_store_confirm(struct serve_app *app, const char *email, const char *list)
{
	(void)app;
	(void)email;
	(void)list;
	return unavailable();
}

void serve_store_close(struct serve_app *app)
{
	(void)app;
}
