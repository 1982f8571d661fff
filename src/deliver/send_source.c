/*
 * send_source over the subscriber store (store.h), used from the main
 * thread (the workers' per-message check runs on the journal's
 * connection); the mutex is left from when workers called in here.
 */
#include "base/common.h"
#include "base/config.h"
#include "store/store.h"
#include "core/compose.h"
#include "deliver/send_source.h"

#include <pthread.h>

struct send_source {
	struct store *st;
	pthread_mutex_t lock;
};

struct send_source *send_source_open(const struct config *cfg)
{
	struct send_source *s;
	struct store *st = store_open(cfg->database);

	if (!st)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->st = st;
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

void send_source_close(struct send_source *s)
{
	if (!s)
		return;
	store_close(s->st);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int send_source_each(struct send_source *s, const char *list,
		     int (*fn)(void *data, const struct compose_recipient *r), void *data)
{
	struct store_cursor *c;
	const struct store_recipient *r;
	int ret = 0;

	pthread_mutex_lock(&s->lock);
	c = store_recipients_open(s->st, list);
	if (!c) {
		pthread_mutex_unlock(&s->lock);
		return -1;
	}
	while (!ret && (r = store_cursor_next(c))) {
		struct compose_recipient cr = { r->email, r->name, list, r->nattrs,
						r->attr_keys, r->attr_values };

		ret = fn(data, &cr);
	}
	if (!ret && store_cursor_failed(c))
		ret = -1;
	store_cursor_close(c);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

long send_source_count(struct send_source *s, const char *list)
{
	long long n;

	pthread_mutex_lock(&s->lock);
	n = store_count(s->st, list);
	pthread_mutex_unlock(&s->lock);
	return (long)n;
}

struct find_list {
	const char *name;
	int found;
};

static void on_list(void *data, const char *list, const long long counts[STORE_STATUS_COUNT])
{
	struct find_list *f = data;

	(void)counts;
	if (!strcmp(list, f->name))
		f->found = 1;
}

int send_source_list_exists(struct send_source *s, const char *list)
{
	struct find_list f = { list, 0 };

	pthread_mutex_lock(&s->lock);
	store_each_list(s->st, on_list, &f);
	pthread_mutex_unlock(&s->lock);
	return f.found;
}
