#ifndef COMMON_H
#define COMMON_H
/*
 * Included first by every newsbeat source file: the standard headers we
 * use everywhere, allocation helpers that never return NULL, the error
 * reporting functions, and banned.h.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation: on failure these print a message and abort(); callers never check. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Grow *p (an array of *alloc elements of size `size`) to hold at least `need`. */
void *xgrow(void *p, size_t size, size_t need, size_t *alloc);
#define ALLOC_GROW(p, need, alloc) ((p) = xgrow((p), sizeof(*(p)), (need), &(alloc)))

/* The value of a hexadecimal digit (either case), or -1. */
static inline int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

#include "base/error.h"
#include "base/banned.h"

#endif
