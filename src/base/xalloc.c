#include "base/common.h"

static void *check(void *p, size_t n)
{
	if (!p && n) {
		fprintf(stderr, "newsbeat: fatal: out of memory allocating %zu bytes\n", n);
		abort();
	}
	return p;
}

void *xmalloc(size_t n)
{
	return check(malloc(n ? n : 1), n ? n : 1);
}

void *xcalloc(size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		BUG("xcalloc overflow");
	return check(calloc(nmemb ? nmemb : 1, size ? size : 1), 1);
}

void *xrealloc(void *p, size_t n)
{
	return check(realloc(p, n ? n : 1), n ? n : 1);
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *r = xmalloc(n + 1);

	memcpy(r, s, n);
	r[n] = '\0';
	return r;
}

void *xgrow(void *p, size_t size, size_t need, size_t *alloc)
{
	size_t n;

	if (need <= *alloc)
		return p;
	n = *alloc < 16 ? 16 : *alloc;
	while (n < need) {
		if (n > SIZE_MAX / 2 / size)
			BUG("xgrow overflow");
		n *= 2;
	}
	*alloc = n;
	return xrealloc(p, n * size);
}
