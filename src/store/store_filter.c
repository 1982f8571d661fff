/*
 * Segments: the members of a list whose attributes match KEY=VALUE and
 * KEY!=VALUE terms (store.h).  The one implementation behind `send
 * --where`, the front matter's `segment:` and `subscribers list|count|
 * export --where`: each term becomes an EXISTS over the attributes table
 * in the query that reads the members, so the store streams only the
 * segment.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "store/store_internal.h"

struct store_filter_term {
	char *key, *value;
	int negate;		/* KEY!=VALUE */
};

struct store_filter {
	struct store_filter_term *t;
	size_t n;
	char *what;		/* where the terms came from, for messages */
};

void store_filter_free(struct store_filter *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->n; i++) {
		free(f->t[i].key);
		free(f->t[i].value);
	}
	free(f->t);
	free(f->what);
	free(f);
}

static int cmp_term(const void *a, const void *b)
{
	const struct store_filter_term *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (!c)
		c = x->negate - y->negate;
	return c ? c : strcmp(x->value, y->value);
}

struct store_filter *store_filter_parse(const char *const *terms, size_t n, const char *what)
{
	struct store_filter *f = xcalloc(1, sizeof(*f));
	size_t i, k;

	f->what = xstrdup(what);
	f->t = xcalloc(n + 1, sizeof(*f->t));
	for (i = 0; i < n; i++) {
		const char *s = terms[i], *eq = strchr(s, '=');
		size_t klen;
		int negate;

		if (!eq || eq == s || (eq == s + 1 && s[0] == '!')) {
			error("%s '%s': write KEY=VALUE or KEY!=VALUE, e.g. country=Italy", what, s);
			goto fail;
		}
		negate = eq[-1] == '!';
		klen = (size_t)(eq - s) - (size_t)negate;
		f->t[f->n].key = xstrndup(s, klen);
		f->t[f->n].value = xstrdup(eq + 1);
		f->t[f->n].negate = negate;
		f->n++;
		if (!store_attr_key_valid(f->t[f->n - 1].key)) {
			error("%s '%s': '%s' is not an attribute name (lower-case letters, digits "
			      "and '_', as the CSV header's columns become)", what, s, f->t[f->n - 1].key);
			goto fail;
		}
		if (strchr(eq + 1, '\n')) {
			error("%s '%s': the value holds a line break", what, s);
			goto fail;
		}
	}
	/* One canonical order, so the same segment written differently compares equal. */
	if (f->n)
		qsort(f->t, f->n, sizeof(*f->t), cmp_term);
	for (i = k = 0; i < f->n; i++) {
		if (k && !cmp_term(&f->t[k - 1], &f->t[i])) {
			free(f->t[i].key);
			free(f->t[i].value);
			continue;
		}
		f->t[k++] = f->t[i];
	}
	f->n = k;
	return f;
fail:
	store_filter_free(f);
	return NULL;
}

size_t store_filter_count(const struct store_filter *f)
{
	return f ? f->n : 0;
}

void store_filter_canonical(const struct store_filter *f, struct strbuf *out)
{
	size_t i;

	for (i = 0; f && i < f->n; i++)
		strbuf_addf(out, "%s%s%s=%s", i ? "\n" : "", f->t[i].key, f->t[i].negate ? "!" : "",
			    f->t[i].value);
}

struct known_keys {
	struct strbuf list;
	const char *want;
	int found;
};

static void note_key(void *data, const char *key)
{
	struct known_keys *k = data;

	if (!strcmp(key, k->want))
		k->found = 1;
	strbuf_addf(&k->list, "%s%s", k->list.len ? ", " : "", key);
}

int store_filter_check(struct store *st, const char *list, const struct store_filter *f)
{
	size_t i;
	int r = 0;

	for (i = 0; f && i < f->n && !r; i++) {
		struct known_keys k = { STRBUF_INIT, f->t[i].key, 0 };

		if (store_attr_keys(st, list, note_key, &k) < 0)
			r = -1;
		else if (!k.found && k.list.len)
			r = error("%s: no member of list '%s' has the attribute '%s'; the "
				  "attributes are: %s", f->what, list, f->t[i].key, k.list.buf);
		else if (!k.found)
			r = error("%s: no member of list '%s' has the attribute '%s'; its members "
				  "have no attributes (import a CSV with more columns than email and "
				  "name)", f->what, list, f->t[i].key);
		strbuf_release(&k.list);
	}
	return r;
}

void store_filter_sql(const struct store_filter *f, int first_param, struct strbuf *sql)
{
	size_t i;

	for (i = 0; f && i < f->n; i++) {
		int p = first_param + 2 * (int)i;
		const struct store_filter_term *t = &f->t[i];

		/* An empty value is never stored: KEY= is "has none", KEY!= "has one". */
		strbuf_addf(sql, " AND %sEXISTS (SELECT 1 FROM attributes a WHERE"
			    " a.subscriber_id = s.id AND a.key = ?%d", t->negate != !*t->value ? "NOT " : "", p);
		if (*t->value)
			strbuf_addf(sql, " AND a.value = ?%d", p + 1);
		strbuf_addch(sql, ')');
	}
}

void store_filter_bind(const struct store_filter *f, sqlite3_stmt *stmt, int first_param)
{
	size_t i;

	for (i = 0; f && i < f->n; i++) {
		int p = first_param + 2 * (int)i;

		store_bind_text(stmt, p, f->t[i].key);
		if (*f->t[i].value)
			store_bind_text(stmt, p + 1, f->t[i].value);
	}
}

void store_filter_describe(const char *canonical, struct strbuf *out)
{
	struct strbuf terms = STRBUF_INIT;
	const char *p;

	strbuf_reset(out);
	if (!*canonical) {
		strbuf_addstr(out, "every member");
		return;
	}
	for (p = canonical; *p; p++) {
		if (*p == '\n')
			strbuf_addstr(&terms, " and ");
		else
			strbuf_addch(&terms, *p);
	}
	strbuf_addstr(out, "the members with ");
	strbuf_add_shown(out, terms.buf, terms.len, NULL);
	strbuf_release(&terms);
}
