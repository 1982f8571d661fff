#ifndef TMPL_INTERNAL_H
#define TMPL_INTERNAL_H
/*
 * The layout of template values, shared by tmpl_value.c (construction) and
 * tmpl.c (lookup during rendering) only.  Everyone else uses the
 * functions declared in tmpl.h.
 */
#include <stdint.h>
#include "base/hash.h"
#include "core/tmpl.h"

/* One key of an object; `hash` lets lookups skip most memcmp()s. */
struct tval_entry {
	char *key;
	size_t len;
	uint32_t hash;
	struct tval *val;
};

struct tval {
	enum tval_kind kind;
	union {
		int b;
		/* TVAL_STRING, and TVAL_NUMBER (its text, formatted once) */
		struct {
			char *s;
			size_t len, alloc;
		} str;
		struct {
			struct tval **items;
			size_t n, alloc;
		} list;
		struct {
			struct tval_entry *e;
			size_t n, alloc;
		} obj;
		const struct tmpl *t;
	} u;
};

/* The same function hashes object keys and compiled name parts. */
static inline uint32_t tval_hash(const char *s, size_t len)
{
	return fnv32(FNV32_INIT, s, len);
}

/* Direct child of an object by counted key, or NULL. */
const struct tval *tval_get_n(const struct tval *obj, const char *key, size_t len,
			      uint32_t hash);

#endif
