/*
 * send_source over the subscriber store (store.h), used from the main
 * thread only (the workers' per-message check runs on the journal's
 * connection).
 */
#include "base/common.h"
#include "base/config.h"
#include "store/store.h"
#include "core/compose.h"
#include "deliver/send_source.h"

struct send_source {
	struct store *st;
	const struct store_filter *where;	/* NULL: the whole list */
};

struct send_source *send_source_open(const struct config *cfg)
{
	struct send_source *s;
	struct store *st = store_open(cfg->database);

	if (!st)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->st = st;
	return s;
}

void send_source_close(struct send_source *s)
{
	if (!s)
		return;
	store_close(s->st);
	free(s);
}

int send_source_each(struct send_source *s, const char *list,
		     int (*fn)(void *data, const struct compose_recipient *r), void *data)
{
	struct store_cursor *c;
	const struct store_recipient *r;
	int ret = 0;

	c = store_recipients_where(s->st, list, s->where);
	if (!c)
		return -1;
	while (!ret && (r = store_cursor_next(c))) {
		struct compose_recipient cr = { r->email, r->name, list, r->nattrs,
						r->attr_keys, r->attr_values, NULL };

		ret = fn(data, &cr);
	}
	if (!ret && store_cursor_failed(c))
		ret = -1;
	store_cursor_close(c);
	return ret;
}

long send_source_count(struct send_source *s, const char *list)
{
	return (long)store_count_where(s->st, list, s->where);
}

int send_source_list_exists(struct send_source *s, const char *list)
{
	return store_list_exists(s->st, list);
}

int send_source_find(struct send_source *s, const char *list, const char *email,
		     int (*fn)(void *data, const struct compose_recipient *r), void *data)
{
	struct store_cursor *c = store_member_open(s->st, list, email);
	const struct store_recipient *r;
	int ret = 0;

	if (!c)
		return -1;
	if ((r = store_cursor_next(c))) {
		struct compose_recipient cr = { r->email, r->name, list, r->nattrs,
						r->attr_keys, r->attr_values, NULL };

		ret = fn(data, &cr) < 0 ? -1 : 1;
	} else if (store_cursor_failed(c)) {
		ret = -1;
	}
	store_cursor_close(c);
	return ret;
}

int send_source_where(struct send_source *s, const char *list, const struct store_filter *f)
{
	if (store_filter_check(s->st, list, f) < 0)
		return -1;
	s->where = f;
	return 0;
}
