#ifndef HASH_H
#define HASH_H
/*
 * FNV-1a, 32 and 64 bit: fast, stable across builds and machines, and
 * no defence against anyone choosing inputs to collide — use it for hash
 * tables of trusted or rate-limited keys and for change detection only.
 * Each takes the running hash (start with FNV32_INIT / FNV64_INIT) so a
 * value can be hashed in pieces.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FNV32_INIT UINT32_C(2166136261)
#define FNV64_INIT UINT64_C(0xcbf29ce484222325)

static inline uint32_t fnv32(uint32_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len--)
		h = (h ^ *p++) * UINT32_C(16777619);
	return h;
}

static inline uint64_t fnv64(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len--)
		h = (h ^ *p++) * UINT64_C(0x100000001b3);
	return h;
}

/* A string with its terminator (NULL as ""), so ("ab","c") and ("a","bc") differ. */
static inline uint64_t fnv64_str(uint64_t h, const char *s)
{
	return fnv64(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

#endif
