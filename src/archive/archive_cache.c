/*
 * The archive's build cache: see archive_cache.h.  One line per issue file,
 * tab-separated, strings with \\, \t, \n and \xHH escapes:
 *
 *   newsbeat-archive-cache 2 <version> <build start, Unix seconds>
 *   path size mtime_s mtime_ns ctime_s ctime_ns ino hash number draft date title preheader
 *     nimages image... tag...
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/fsutil.h"
#include "archive/archive_cache.h"

#define CACHE_MAGIC "newsbeat-archive-cache 2 " NEWSBEAT_VERSION " "

static void add_escaped(struct strbuf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t run = 0, i;

	for (i = 0; p[i]; i++) {
		if (p[i] >= 0x20 && p[i] != '\\')
			continue;
		strbuf_add(out, s + run, i - run);
		run = i + 1;
		if (p[i] == '\\')
			strbuf_addstr(out, "\\\\");
		else if (p[i] == '\t')
			strbuf_addstr(out, "\\t");
		else if (p[i] == '\n')
			strbuf_addstr(out, "\\n");
		else
			strbuf_addf(out, "\\x%02x", p[i]);
	}
	strbuf_add(out, s + run, i - run);
}

/* The next field of *p (up to a tab or the end), unescaped; NULL when none is left. */
static char *next_field(char **p, char *end)
{
	struct strbuf sb = STRBUF_INIT;
	char *s = *p, *tab;

	if (s > end)
		return NULL;
	/* The common case: no escapes, one copy. */
	tab = memchr(s, '\t', (size_t)(end - s));
	if (!tab)
		tab = end;
	if (!memchr(s, '\\', (size_t)(tab - s))) {
		*p = tab + 1;
		return xstrndup(s, (size_t)(tab - s));
	}
	while (s < end && *s != '\t') {
		if (*s == '\\' && s + 1 < end) {
			s++;
			if (*s == 't')
				strbuf_addch(&sb, '\t');
			else if (*s == 'n')
				strbuf_addch(&sb, '\n');
			else if (*s == 'x' && s + 2 < end && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
				strbuf_addch(&sb, (char)(hexval(s[1]) * 16 + hexval(s[2])));
				s += 2;
			} else {
				strbuf_addch(&sb, *s);
			}
			s++;
		} else {
			strbuf_addch(&sb, *s++);
		}
	}
	*p = s + 1;	/* past the tab, or past end: then no field is left */
	return strbuf_detach(&sb, NULL);
}

static void row_release(struct archive_cache_row *r)
{
	size_t k;

	free(r->path);
	free(r->date);
	free(r->title);
	free(r->preheader);
	for (k = 0; k < r->ntags; k++)
		free(r->tags[k]);
	free(r->tags);
	for (k = 0; k < r->nimages; k++)
		free(r->images[k]);
	free(r->images);
	memset(r, 0, sizeof(*r));
}

static int parse_ll(const char *s, long long *v)
{
	char *end;

	if (!s || !*s)
		return -1;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return *end || errno ? -1 : 0;
}

static int parse_hex(const char *s, unsigned long long *v)
{
	char *end;

	if (!s || !*s)
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 16);
	return *end || errno ? -1 : 0;
}

static int parse_row(struct archive_cache_row *r, char *line, char *end)
{
	/* path, size, mtime_s, mtime_ns, ctime_s, ctime_ns, ino, hash, number, draft, date, title */
	char *f[12], *t;
	long long num[6], number = 0, draft = 0, nimages = 0;
	unsigned long long h = 0;
	size_t i;
	int ok = 1;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < ARRAY_SIZE(f); i++)
		f[i] = next_field(&line, end);
	for (i = 0; i < 6; i++)
		if (parse_ll(f[i + 1], &num[i]) < 0)
			ok = 0;
	if (!f[0] || !f[7] || parse_hex(f[7], &h) < 0 || parse_ll(f[8], &number) < 0 ||
	    parse_ll(f[9], &draft) < 0 || !f[10] || !f[11])
		ok = 0;
	if (ok) {
		r->path = f[0];
		r->size = num[0];
		r->mtime_s = num[1];
		r->mtime_ns = num[2];
		r->ctime_s = num[3];
		r->ctime_ns = num[4];
		r->ino = num[5];
		r->src_hash = h;
		r->number = (int)number;
		r->draft = (int)draft;
		r->date = f[10];
		r->title = f[11];
		f[0] = f[10] = f[11] = NULL;
		r->preheader = next_field(&line, end);
		t = r->preheader ? next_field(&line, end) : NULL;
		/* Each image takes at least one byte of the line: a bound that needs no limit. */
		if (!t || parse_ll(t, &nimages) < 0 || nimages < 0 || nimages > end - line + 1)
			ok = 0;
		free(t);
		if (ok && nimages)
			r->images = xcalloc((size_t)nimages, sizeof(*r->images));
		while (ok && r->nimages < (size_t)nimages) {
			if (!(t = next_field(&line, end)))
				ok = 0;
			else
				r->images[r->nimages++] = t;
		}
		while (ok && (t = next_field(&line, end))) {
			r->tags = xrealloc(r->tags, (r->ntags + 1) * sizeof(*r->tags));
			r->tags[r->ntags++] = t;
		}
	}
	for (i = 0; i < ARRAY_SIZE(f); i++)
		free(f[i]);
	if (!ok)
		row_release(r);
	return ok ? 0 : -1;
}

static int cmp_row_ptr(const void *a, const void *b)
{
	return strcmp((*(struct archive_cache_row *const *)a)->path,
		      (*(struct archive_cache_row *const *)b)->path);
}

void archive_cache_read(struct archive_cache *c, const char *path)
{
	struct strbuf data = STRBUF_INIT;
	char *line, *eol;
	long long written;

	memset(c, 0, sizeof(*c));
	if (strbuf_read_file(&data, path) < 0)
		goto out;
	if (strncmp(data.buf, CACHE_MAGIC, strlen(CACHE_MAGIC)))
		goto out;	/* another version: its rows may mean something else */
	line = data.buf + strlen(CACHE_MAGIC);
	eol = strchr(line, '\n');
	if (!eol)
		goto out;
	*eol = '\0';
	if (parse_ll(line, &written) < 0)
		goto out;
	c->written = (time_t)written;
	for (line = eol + 1; *line; line = eol + 1) {
		eol = strchr(line, '\n');
		if (!eol)
			break;	/* a truncated last line is not trusted */
		ALLOC_GROW(c->rows, c->n + 1, c->alloc);
		if (parse_row(&c->rows[c->n], line, eol) == 0)
			c->n++;
	}
out:
	strbuf_release(&data);
}

void archive_cache_path(struct strbuf *out, const char *database)
{
	strbuf_addf(out, "%s-archive-cache", database);
}

int archive_cache_write(const char *path, const struct strbuf *data)
{
	return write_file_atomic(path, data->buf, data->len, 0600);
}

const struct archive_cache_row *archive_cache_lookup(struct archive_cache *c,
						     const char *path, const struct stat *st)
{
	struct archive_cache_row now;
	const struct archive_cache_row *r = NULL;
	size_t i;

	if (!c->n)
		return NULL;
	/*
	 * Rows are in the order the previous build listed the files, which is
	 * almost always this build's order: try the next row first, then
	 * search the sorted copy (made on the first miss).
	 */
	if (c->next < c->n && !strcmp(c->rows[c->next].path, path)) {
		r = &c->rows[c->next++];
	} else {
		struct archive_cache_row key, *keyp = &key, **found;

		if (!c->sorted) {
			c->sorted = xcalloc(c->n, sizeof(*c->sorted));
			for (i = 0; i < c->n; i++)
				c->sorted[i] = &c->rows[i];
			qsort(c->sorted, c->n, sizeof(*c->sorted), cmp_row_ptr);
		}
		memset(&key, 0, sizeof(key));
		key.path = (char *)path;
		found = bsearch(&keyp, c->sorted, c->n, sizeof(*c->sorted), cmp_row_ptr);
		if (!found)
			return NULL;
		r = *found;
		c->next = (size_t)(r - c->rows) + 1;
	}
	archive_cache_set_stat(&now, st);
	if (r->size != now.size || r->mtime_s != now.mtime_s || r->mtime_ns != now.mtime_ns ||
	    r->ctime_s != now.ctime_s || r->ctime_ns != now.ctime_ns || r->ino != now.ino)
		return NULL;
	/*
	 * Racy: modified in the second the previous build started, or later.
	 * (A write sets mtime; ctime, which `touch -d` or a checkout also sets
	 * to now, only has to be equal.)
	 */
	if (r->mtime_s >= (long long)c->written - 1)
		return NULL;
	return r;
}

void archive_cache_set_stat(struct archive_cache_row *row, const struct stat *st)
{
	row->size = (long long)st->st_size;
	row->mtime_s = (long long)st->st_mtim.tv_sec;
	row->mtime_ns = (long long)st->st_mtim.tv_nsec;
	row->ctime_s = (long long)st->st_ctim.tv_sec;
	row->ctime_ns = (long long)st->st_ctim.tv_nsec;
	row->ino = (long long)st->st_ino;
}

void archive_cache_header(struct strbuf *out, time_t build_start)
{
	strbuf_addf(out, CACHE_MAGIC "%lld\n", (long long)build_start);
}

/* "\t" and v in decimal. */
static void add_num(struct strbuf *out, long long v)
{
	char d[24];
	size_t n = 0;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do {
		d[sizeof(d) - ++n] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		d[sizeof(d) - ++n] = '-';
	strbuf_addch(out, '\t');
	strbuf_add(out, d + sizeof(d) - n, n);
}

/* "\t" and v as 16 hex digits. */
static void add_hex16(struct strbuf *out, unsigned long long v)
{
	static const char hex[] = "0123456789abcdef";
	char d[16];
	int i;

	for (i = 15; i >= 0; i--, v >>= 4)
		d[i] = hex[v & 15];
	strbuf_addch(out, '\t');
	strbuf_add(out, d, sizeof(d));
}

void archive_cache_append(struct strbuf *out, const struct archive_cache_row *r)
{
	size_t k;

	add_escaped(out, r->path);
	/* No printf: a thousand issues make ten thousand numbers here. */
	add_num(out, r->size);
	add_num(out, r->mtime_s);
	add_num(out, r->mtime_ns);
	add_num(out, r->ctime_s);
	add_num(out, r->ctime_ns);
	add_num(out, r->ino);
	add_hex16(out, (unsigned long long)r->src_hash);
	add_num(out, r->number);
	add_num(out, r->draft);
	strbuf_addch(out, '\t');
	add_escaped(out, r->date);
	strbuf_addch(out, '\t');
	add_escaped(out, r->title);
	strbuf_addch(out, '\t');
	add_escaped(out, r->preheader ? r->preheader : "");
	add_num(out, (long long)r->nimages);
	for (k = 0; k < r->nimages; k++) {
		strbuf_addch(out, '\t');
		add_escaped(out, r->images[k]);
	}
	for (k = 0; k < r->ntags; k++) {
		strbuf_addch(out, '\t');
		add_escaped(out, r->tags[k]);
	}
	strbuf_addch(out, '\n');
}

void archive_cache_release(struct archive_cache *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		row_release(&c->rows[i]);
	free(c->rows);
	free(c->sorted);
	memset(c, 0, sizeof(*c));
}
