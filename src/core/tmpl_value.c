/*
 * Template values: the data tree a Mustache template reads (see tmpl.h).
 * Objects are small arrays searched linearly with a precomputed hash: the
 * contexts we build have a dozen keys, where this beats a hash table.
 */
#include "base/common.h"
#include "core/tmpl_internal.h"

static struct tval *tval_new(enum tval_kind kind)
{
	struct tval *v = xcalloc(1, sizeof(*v));

	v->kind = kind;
	return v;
}

struct tval *tval_null(void)
{
	return tval_new(TVAL_NULL);
}

struct tval *tval_bool(int b)
{
	struct tval *v = tval_new(TVAL_BOOL);

	v->u.b = !!b;
	return v;
}

/*
 * The shortest "%.Ng" that reads back as the same double: 1.21 stays
 * "1.21" (not 1.2100000000000000), 85.0 is "85", as the spec's
 * interpolation cases expect.  Formatted once here, not per render.
 */
struct tval *tval_number(double d)
{
	struct tval *v = tval_new(TVAL_NUMBER);
	char buf[64];
	int prec;

	/* Whole numbers print as integers: "%.1g" of 40 is "4e+01", which reads back as 40. */
	if (d > -1e15 && d < 1e15 && d == (double)(long long)d) {
		snprintf(buf, sizeof(buf), "%lld", (long long)d);
	} else {
		for (prec = 1; prec <= 17; prec++) {
			snprintf(buf, sizeof(buf), "%.*g", prec, d);
			if (strtod(buf, NULL) == d)
				break;
		}
	}
	v->u.str.len = strlen(buf);
	v->u.str.s = xstrndup(buf, v->u.str.len);
	v->u.str.alloc = v->u.str.len + 1;
	return v;
}

struct tval *tval_string_n(const char *s, size_t len)
{
	struct tval *v = tval_new(TVAL_STRING);

	v->u.str.s = xstrndup(s, len);
	v->u.str.len = len;
	v->u.str.alloc = len + 1;
	return v;
}

struct tval *tval_string(const char *s)
{
	return tval_string_n(s, strlen(s));
}

struct tval *tval_list(void)
{
	return tval_new(TVAL_LIST);
}

struct tval *tval_object(void)
{
	return tval_new(TVAL_OBJECT);
}

struct tval *tval_template(const struct tmpl *t)
{
	struct tval *v = tval_new(TVAL_TEMPLATE);

	v->u.t = t;
	return v;
}

void tval_free(struct tval *v)
{
	size_t i;

	if (!v)
		return;
	switch (v->kind) {
	case TVAL_STRING:
	case TVAL_NUMBER:
		free(v->u.str.s);
		break;
	case TVAL_LIST:
		for (i = 0; i < v->u.list.n; i++)
			tval_free(v->u.list.items[i]);
		free(v->u.list.items);
		break;
	case TVAL_OBJECT:
		for (i = 0; i < v->u.obj.n; i++) {
			free(v->u.obj.e[i].key);
			tval_free(v->u.obj.e[i].val);
		}
		free(v->u.obj.e);
		break;
	default:
		break;
	}
	free(v);
}

static struct tval_entry *find_entry(const struct tval *obj, const char *key, size_t len,
				     uint32_t hash)
{
	size_t i;

	for (i = 0; i < obj->u.obj.n; i++) {
		struct tval_entry *e = &obj->u.obj.e[i];

		if (e->hash == hash && e->len == len && !memcmp(e->key, key, len))
			return e;
	}
	return NULL;
}

void tval_set(struct tval *obj, const char *key, struct tval *child)
{
	size_t len = strlen(key);
	uint32_t hash = tval_hash(key, len);
	struct tval_entry *e;

	if (obj->kind != TVAL_OBJECT)
		BUG("tval_set on a non-object");
	e = find_entry(obj, key, len, hash);
	if (e) {
		if (e->val != child)
			tval_free(e->val);
		e->val = child;
		return;
	}
	ALLOC_GROW(obj->u.obj.e, obj->u.obj.n + 1, obj->u.obj.alloc);
	e = &obj->u.obj.e[obj->u.obj.n++];
	e->key = xstrndup(key, len);
	e->len = len;
	e->hash = hash;
	e->val = child;
}

void tval_set_str(struct tval *obj, const char *key, const char *s)
{
	tval_set(obj, key, tval_string(s));
}

void tval_push(struct tval *list, struct tval *child)
{
	if (list->kind != TVAL_LIST)
		BUG("tval_push on a non-list");
	ALLOC_GROW(list->u.list.items, list->u.list.n + 1, list->u.list.alloc);
	list->u.list.items[list->u.list.n++] = child;
}

const struct tval *tval_get_n(const struct tval *obj, const char *key, size_t len,
			      uint32_t hash)
{
	struct tval_entry *e;

	if (!obj || obj->kind != TVAL_OBJECT)
		return NULL;
	e = find_entry(obj, key, len, hash);
	return e ? e->val : NULL;
}

struct tval *tval_get(const struct tval *obj, const char *key)
{
	size_t len = strlen(key);
	struct tval_entry *e;

	if (!obj || obj->kind != TVAL_OBJECT)
		return NULL;
	e = find_entry(obj, key, len, tval_hash(key, len));
	return e ? e->val : NULL;
}

void tval_string_assign(struct tval *v, const char *s, size_t len)
{
	if (v->kind != TVAL_STRING)
		BUG("tval_string_assign on a non-string");
	if (len + 1 > v->u.str.alloc) {
		/* grow geometrically so per-recipient reuse settles quickly */
		size_t alloc = v->u.str.alloc * 2 > len + 1 ? v->u.str.alloc * 2 : len + 1;
		char *buf = xmalloc(alloc);

		memcpy(buf, s, len);	/* s may point into the old buffer */
		free(v->u.str.s);
		v->u.str.s = buf;
		v->u.str.alloc = alloc;
	} else {
		memmove(v->u.str.s, s, len);
	}
	v->u.str.s[len] = '\0';
	v->u.str.len = len;
}

enum tval_kind tval_kind_of(const struct tval *v)
{
	return v ? v->kind : TVAL_NULL;
}
