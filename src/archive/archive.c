/*
 * The static web archive: see archive.h for what is written and how a
 * rebuild stays safe and incremental.
 */
#include "base/common.h"
#include "base/testhook.h"
#include "base/strbuf.h"
#include "base/fsutil.h"
#include "base/config.h"
#include "core/issue.h"
#include "core/markdown.h"
#include "core/tmpl.h"
#include "archive/archive.h"
#include "archive/archive_images.h"
#include "core/image.h"
#include "archive/archive_cache.h"

#include <dirent.h>
#include <signal.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MANIFEST ".newsbeat-manifest"
#define CACHE ".newsbeat-cache"
#define FEED_ENTRIES 20

static const char *const months[] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December",
};

/* One published issue. */
struct entry {
	struct issue is;
	char *slug;		/* "issue-42" */
	char *web_url;		/* absolute: base_url + "issues/<slug>.html" */
	uint64_t src_hash;	/* of the file's bytes */
	char **tag_slugs;	/* parallel to is.tags */
	int loaded;		/* is.body is there (else only the front matter, from the cache) */
	int rendered;		/* its page was made in this build (else the old one is kept) */
	uint64_t page_hash;	/* of everything its page is made from */
	size_t s_off, s_len;	/* its record in the new search-index.js */
};

struct tag {
	char *slug;
	char *name;		/* the first spelling seen */
	size_t *entries;	/* indexes into the newest-first entry array */
	size_t n, alloc;
};

struct manifest_row {
	char *slug;
	uint64_t hash, src_hash;
	size_t s_off, s_len;
};

struct manifest {
	struct manifest_row *rows;
	size_t n, alloc;
};

struct build {
	const struct config *cfg;
	const char *dir;	/* the temporary output directory */
	struct entry *e;	/* newest first */
	size_t n, alloc;
	struct tag *tags;
	size_t ntags, tags_alloc;
	struct tmpl *t_index, *t_issue, *t_tag, *t_feed;
	char **partial_names;
	size_t npartial, partial_alloc;
	uint64_t tmpl_hash;	/* templates + config values + version */
	unsigned neighbour_fields[2];	/* NB_* the issue template shows of next, previous */
	const char *old_dir;	/* the previous archive (may not exist) */
	struct manifest old;	/* its manifest */
	struct archive_cache cache;	/* its build cache */
	struct strbuf new_cache;	/* this build's */
	time_t started;		/* real time, for the cache's racy check */
	char **old_pages;	/* file names in the previous issues/, sorted */
	size_t nold_pages, old_pages_alloc;
};

/* FNV-1a, 64 bit: a change detector, not a defence against anyone. */
#define FNV_INIT UINT64_C(0xcbf29ce484222325)
static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
	/* Include the terminator so ("ab","c") and ("a","bc") differ. */
	return fnv(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

void archive_issue_url(const char *base_url, const char *slug, struct strbuf *out)
{
	strbuf_addstr(out, base_url);
	strbuf_addstr(out, "issues/");
	strbuf_addstr(out, slug);
	strbuf_addstr(out, ".html");
}

/* ---------- templates ---------- */

/* [paths] templates, falling back to the templates installed with newsbeat. */
static int read_template(const struct config *cfg, const char *name,
			 struct strbuf *src, struct strbuf *path)
{
	strbuf_reset(path);
	path_join(path, cfg->templates_dir, name);
	if (strbuf_read_file(src, path->buf) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	strbuf_reset(path);
	path_join(path, NEWSBEAT_DATADIR "/templates", name);
	return strbuf_read_file(src, path->buf);
}

static int load_partial(void *data, const char *name, struct strbuf *src,
			const char **display_name)
{
	struct build *b = data;
	struct strbuf file = STRBUF_INIT, path = STRBUF_INIT;
	int r = -1;

	strbuf_addstr(&file, name);
	if (!strchr(name, '.'))
		strbuf_addstr(&file, ".html");
	if (!strstr(file.buf, "..") && file.buf[0] != '/' &&
	    read_template(b->cfg, file.buf, src, &path) == 0) {
		b->tmpl_hash = fnv(fnv_str(b->tmpl_hash, file.buf), src->buf, src->len);
		ALLOC_GROW(b->partial_names, b->npartial + 1, b->partial_alloc);
		b->partial_names[b->npartial++] = strbuf_detach(&path, NULL);
		*display_name = b->partial_names[b->npartial - 1];
		r = 0;
	}
	strbuf_release(&file);
	strbuf_release(&path);
	return r;
}

static struct tmpl *compile_template(struct build *b, const char *name)
{
	struct strbuf src = STRBUF_INIT, path = STRBUF_INIT;
	struct tmpl_options opts = { TMPL_ESCAPE_HTML, load_partial, b, 0 };
	struct tmpl *t = NULL;

	if (read_template(b->cfg, name, &src, &path) < 0) {
		error("cannot read template '%s': %s (is [paths] templates right?)",
		      path.buf, strerror(errno));
		goto out;
	}
	b->tmpl_hash = fnv(fnv_str(b->tmpl_hash, name), src.buf, src.len);
	t = tmpl_compile(path.buf, src.buf, src.len, &opts);
out:
	strbuf_release(&src);
	strbuf_release(&path);
	return t;
}

/* ---------- files ---------- */

/* Plain write: the whole directory is swapped in atomically later. */
static int write_out(const struct build *b, const char *name, const struct strbuf *data)
{
	struct strbuf path = STRBUF_INIT;
	int fd, r = 0;
	size_t off = 0;

	path_join(&path, b->dir, name);
	fd = open(path.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = error("cannot write '%s': %s", path.buf, strerror(errno));
		goto out;
	}
	while (off < data->len) {
		ssize_t w = write(fd, data->buf + off, data->len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = error("cannot write '%s': %s", path.buf, strerror(errno));
			break;
		}
		off += (size_t)w;
	}
	if (close(fd) < 0 && !r)
		r = error("cannot write '%s': %s", path.buf, strerror(errno));
out:
	strbuf_release(&path);
	return r;
}

static int copy_file(const char *from, const char *to)
{
	struct strbuf data = STRBUF_INIT;
	int r;

	if (strbuf_read_file(&data, from) < 0) {
		r = error("cannot read '%s': %s", from, strerror(errno));
	} else {
		struct build tmp = { 0 };

		tmp.dir = "";
		r = write_out(&tmp, to, &data);
	}
	strbuf_release(&data);
	return r;
}

/* Hard link when possible (the old tree is removed right after the swap). */
static int reuse_file(const char *from, const char *to)
{
	struct strbuf data = STRBUF_INIT;
	struct build tmp = { 0 };
	int r;

	if (link(from, to) == 0)
		return 0;
	if (strbuf_read_file(&data, from) < 0)
		return -1;	/* quietly: the caller renders the page instead */
	tmp.dir = "";
	r = write_out(&tmp, to, &data);
	strbuf_release(&data);
	return r;
}

static int copy_tree(const char *from, const char *to)
{
	DIR *d = opendir(from);
	struct dirent *de;
	int r = 0;

	if (!d)
		return error("cannot read directory '%s': %s", from, strerror(errno));
	if (mkdir_p(to, 0755) < 0) {
		closedir(d);
		return -1;
	}
	while (!r && (de = readdir(d))) {
		struct strbuf f = STRBUF_INIT, t = STRBUF_INIT;
		struct stat st;

		if (de->d_name[0] == '.') /* also skips editors' dot files */
			continue;
		path_join(&f, from, de->d_name);
		path_join(&t, to, de->d_name);
		if (stat(f.buf, &st) < 0)
			r = error("cannot read '%s': %s", f.buf, strerror(errno));
		else if (S_ISDIR(st.st_mode))
			r = copy_tree(f.buf, t.buf);
		else if (S_ISREG(st.st_mode))
			r = copy_file(f.buf, t.buf);
		strbuf_release(&f);
		strbuf_release(&t);
	}
	closedir(d);
	return r;
}

/* ---------- the previous build's manifest ---------- */

/*
 * One line per issue page: "<slug> <page hash> <source hash> <offset>
 * <length>", the last two locating its record in search-index.js; and
 * lines for whole files: "@feed <hash>", "@search <size>".
 */
static int cmp_row(const void *a, const void *b)
{
	return strcmp(((const struct manifest_row *)a)->slug,
		      ((const struct manifest_row *)b)->slug);
}

static void manifest_read(struct manifest *m, const char *out_dir)
{
	struct strbuf path = STRBUF_INIT, data = STRBUF_INIT;
	char *line, *next;

	path_join(&path, out_dir, MANIFEST);
	if (strbuf_read_file(&data, path.buf) == 0) {
		for (line = data.buf; *line; line = next) {
			/* strtoull, not sscanf: this runs for every issue on every build. */
			unsigned long long v[4] = { 0, 0, 0, 0 };
			char *sp, *p, *end;
			int got = 0;

			next = strchr(line, '\n');
			if (!next)
				break;	/* a truncated last line is not trusted */
			*next++ = '\0';
			sp = strchr(line, ' ');
			if (!sp || sp == line || sp - line > 200)
				continue;
			for (p = sp; got < 4 && *p == ' '; got++) {
				errno = 0;
				v[got] = strtoull(p + 1, &end, got < 2 ? 16 : 10);
				if (end == p + 1 || errno)
					break;
				p = end;
			}
			if (*p || (got != 1 && got != 4))
				continue;
			ALLOC_GROW(m->rows, m->n + 1, m->alloc);
			m->rows[m->n].slug = xstrndup(line, (size_t)(sp - line));
			m->rows[m->n].hash = v[0];
			m->rows[m->n].src_hash = v[1];
			m->rows[m->n].s_off = (size_t)v[2];
			m->rows[m->n++].s_len = (size_t)v[3];
		}
		if (m->n)
			qsort(m->rows, m->n, sizeof(*m->rows), cmp_row);
	}
	strbuf_release(&path);
	strbuf_release(&data);
}

static const struct manifest_row *manifest_get(const struct manifest *m, const char *slug)
{
	struct manifest_row key = { (char *)slug, 0, 0, 0, 0 };

	if (!m->n)
		return NULL;
	return bsearch(&key, m->rows, m->n, sizeof(*m->rows), cmp_row);
}

static int manifest_has(const struct manifest *m, const char *slug, uint64_t hash)
{
	const struct manifest_row *r = manifest_get(m, slug);

	return r && r->hash == hash;
}

static void manifest_release(struct manifest *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->rows[i].slug);
	free(m->rows);
}

/* ---------- loading issues ---------- */

static int cmp_newest_first(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(y->is.date, x->is.date);

	if (c)
		return c;
	return (y->is.number > x->is.number) - (y->is.number < x->is.number);
}

/* The front matter the cache keeps, as a row for the next build's cache. */
static void cache_add(struct build *b, const struct issue *is, const struct stat *st,
		      uint64_t src_hash)
{
	struct archive_cache_row row;

	memset(&row, 0, sizeof(row));
	archive_cache_set_stat(&row, st);
	row.path = is->path;
	row.src_hash = src_hash;
	row.number = is->number;
	row.draft = is->draft;
	row.date = is->date;
	row.title = is->title;
	row.preheader = is->preheader;
	row.tags = is->tags;
	row.ntags = is->ntags;
	archive_cache_append(&b->new_cache, &row);
}

/* An issue as the cache remembers it: everything but the body. */
static void issue_from_row(struct issue *is, const struct archive_cache_row *row)
{
	size_t k;

	memset(is, 0, sizeof(*is));
	is->path = xstrdup(row->path);
	is->title = xstrdup(row->title);
	is->number = row->number;
	is->date = xstrdup(row->date);
	if (sscanf(row->date, "%d-%d-%d", &is->year, &is->month, &is->day) != 3)
		is->year = is->month = is->day = 1;
	is->preheader = xstrdup(row->preheader);
	is->draft = row->draft;
	if (row->ntags) {
		is->tags = xcalloc(row->ntags, sizeof(char *));
		for (k = 0; k < row->ntags; k++)
			is->tags[k] = xstrdup(row->tags[k]);
	}
	is->ntags = row->ntags;
}

/* Read and parse an issue file; *st is stat()ed before the read (see archive_cache.h). */
static int read_issue(struct issue *is, const char *path, struct stat *st, uint64_t *hash)
{
	struct strbuf src = STRBUF_INIT;
	int r = 0;

	memset(is, 0, sizeof(*is));
	if (st && stat(path, st) < 0)
		r = error("cannot read '%s': %s", path, strerror(errno));
	else if (strbuf_read_file(&src, path) < 0)
		r = error("cannot read '%s': %s", path, strerror(errno));
	else if (issue_parse(is, path, src.buf, src.len) < 0)
		r = -1;
	else
		*hash = fnv(FNV_INIT, src.buf, src.len);
	if (r < 0)
		issue_release(is);	/* whatever the parser kept */
	strbuf_release(&src);
	return r;
}

/* The body of an issue known from the cache, when its page or feed entry is made. */
static int entry_load(struct entry *e)
{
	struct issue is;
	uint64_t h = 0;

	if (e->loaded)
		return 0;
	if (read_issue(&is, e->is.path, NULL, &h) < 0)
		return -1;
	if (h != e->src_hash) {
		issue_release(&is);
		return error("'%s' changed during the build; run 'newsbeat archive' again",
			     e->is.path);
	}
	issue_release(&e->is);
	e->is = is;
	e->loaded = 1;
	return 0;
}

static int cmp_newest_first_p(const void *a, const void *b)
{
	return cmp_newest_first(*(const struct entry *const *)a, *(const struct entry *const *)b);
}

/* Sorted through pointers: qsort would move these large structs a lot. */
static void sort_newest_first(struct build *b)
{
	struct entry **p, *sorted;
	size_t i;

	if (b->n < 2)
		return;
	p = xcalloc(b->n, sizeof(*p));
	for (i = 0; i < b->n; i++)
		p[i] = &b->e[i];
	qsort(p, b->n, sizeof(*p), cmp_newest_first_p);
	sorted = xcalloc(b->n, sizeof(*sorted));
	for (i = 0; i < b->n; i++)
		sorted[i] = *p[i];
	free(b->e);
	free(p);
	b->e = sorted;
	b->alloc = b->n;
}

static int load_issues(struct build *b, time_t now, struct archive_stats *st)
{
	char **paths = NULL;
	size_t npaths = 0, i;
	int r = 0;

	if (issue_list(b->cfg->issues_dir, &paths, &npaths) < 0)
		return -1;
	for (i = 0; i < npaths; i++) {
		struct strbuf sb = STRBUF_INIT;
		const struct archive_cache_row *row;
		struct stat fst;
		struct entry *e;
		size_t k;

		if (r < 0)
			goto next;
		ALLOC_GROW(b->e, b->n + 1, b->alloc);
		e = &b->e[b->n];
		memset(e, 0, sizeof(*e));
		/* Unchanged since the previous build: one stat(), no read, no parse. */
		if (stat(paths[i], &fst) == 0 &&
		    (row = archive_cache_lookup(&b->cache, paths[i], &fst))) {
			issue_from_row(&e->is, row);
			e->src_hash = row->src_hash;
		} else if (read_issue(&e->is, paths[i], &fst, &e->src_hash) < 0) {
			r = -1;
			goto next;
		} else {
			e->loaded = 1;
		}
		cache_add(b, &e->is, &fst, e->src_hash);
		if (issue_state(&e->is, now) != ISSUE_PUBLISHED) {
			st->skipped++;
			issue_release(&e->is);
			goto next;
		}
		issue_slug(&e->is, &sb);
		e->slug = strbuf_detach(&sb, NULL);
		archive_issue_url(b->cfg->base_url, e->slug, &sb);
		e->web_url = strbuf_detach(&sb, NULL);
		e->tag_slugs = xcalloc(e->is.ntags + 1, sizeof(char *));
		for (k = 0; k < e->is.ntags; k++) {
			issue_tag_slug(e->is.tags[k], &sb);
			e->tag_slugs[k] = strbuf_detach(&sb, NULL);
		}
		b->n++;
next:
		strbuf_release(&sb);
		free(paths[i]);
	}
	free(paths);
	if (r < 0)
		return r;
	sort_newest_first(b);
	/* Each published issue needs its own number (its slug and URL). */
	{
		int *nums = xcalloc(b->n + 1, sizeof(int));
		size_t j;

		for (j = 0; j < b->n; j++)
			nums[j] = b->e[j].is.number;
		for (j = 1; j < b->n; j++) {
			size_t k = j;
			int v = nums[j];

			/* insertion sort is fine: nearly sorted (newest first by date) */
			while (k > 0 && nums[k - 1] < v) {
				nums[k] = nums[k - 1];
				k--;
			}
			nums[k] = v;
		}
		for (j = 0; j + 1 < b->n; j++)
			if (nums[j] == nums[j + 1]) {
				int dup = nums[j];

				free(nums);
				return error("two published issues say 'issue: %d' (each issue needs its own number)",
					     dup);
			}
		free(nums);
	}
	return 0;
}

static void collect_tags(struct build *b)
{
	size_t i, k, t;

	for (i = 0; i < b->n; i++) {
		for (k = 0; k < b->e[i].is.ntags; k++) {
			const char *slug = b->e[i].tag_slugs[k];
			struct tag *tg = NULL;

			for (t = 0; t < b->ntags; t++)
				if (!strcmp(b->tags[t].slug, slug)) {
					tg = &b->tags[t];
					break;
				}
			if (!tg) {
				ALLOC_GROW(b->tags, b->ntags + 1, b->tags_alloc);
				tg = &b->tags[b->ntags++];
				memset(tg, 0, sizeof(*tg));
				tg->slug = xstrdup(slug);
				tg->name = xstrdup(b->e[i].is.tags[k]);
			}
			if (tg->n && tg->entries[tg->n - 1] == i)
				continue;	/* the same tag twice on one issue */
			ALLOC_GROW(tg->entries, tg->n + 1, tg->alloc);
			tg->entries[tg->n++] = i;
		}
	}
}

/* ---------- contexts ---------- */

static void set_clean(struct tval *obj, const char *key, const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	archive_xml_clean(&sb, s ? s : "", s ? strlen(s) : 0);
	tval_set(obj, key, tval_string_n(sb.buf, sb.len));
	strbuf_release(&sb);
}

/* newsletter.*, subscribe_url, archive_url, root: shared by every page. */
static struct tval *global_ctx(const struct build *b, const char *root)
{
	const struct config *cfg = b->cfg;
	struct tval *g = tval_object(), *nl = tval_object();
	struct strbuf sb = STRBUF_INIT;

	set_clean(nl, "name", cfg->name);
	set_clean(nl, "base_url", cfg->base_url);
	set_clean(nl, "language", *cfg->language ? cfg->language : "en");
	set_clean(nl, "list_id", cfg->list_id);
	tval_set(g, "newsletter", nl);
	tval_set_str(g, "root", root);
	set_clean(g, "archive_url", cfg->base_url);
	strbuf_addf(&sb, "%ssubscribe", cfg->base_url);
	set_clean(g, "subscribe_url", sb.buf);
	/* The archive has no subscriber: an unsubscribe link becomes a subscribe link. */
	set_clean(g, "unsubscribe_url", sb.buf);
	strbuf_reset(&sb);
	strbuf_addf(&sb, "%sfeed.xml", cfg->base_url);
	set_clean(g, "feed_url", sb.buf);
	strbuf_release(&sb);
	return g;
}

/* issue.* as the index, tag pages, the feed and the issue page see it. */
static struct tval *issue_summary(const struct entry *e, const char *root)
{
	struct tval *v = tval_object(), *tags;
	struct strbuf sb = STRBUF_INIT;
	size_t k;

	set_clean(v, "title", e->is.title);
	tval_set(v, "number", tval_number(e->is.number));
	tval_set_str(v, "date", e->is.date);
	strbuf_addf(&sb, "%d %s %d", e->is.day, months[(e->is.month - 1) % 12], e->is.year);
	tval_set_str(v, "date_long", sb.buf);
	strbuf_reset(&sb);
	set_clean(v, "preheader", e->is.preheader);
	tval_set_str(v, "slug", e->slug);
	set_clean(v, "web_url", e->web_url);
	strbuf_addf(&sb, "%sissues/%s.html", root, e->slug);
	tval_set_str(v, "url", sb.buf);
	/* Always set, so a section never falls back to the page's own tags. */
	tags = tval_list();
	for (k = 0; k < e->is.ntags; k++) {
		struct tval *t = tval_object();

		set_clean(t, "name", e->is.tags[k]);
		strbuf_reset(&sb);
		strbuf_addf(&sb, "%stags/%s.html", root, e->tag_slugs[k]);
		tval_set_str(t, "url", sb.buf);
		tval_push(tags, t);
	}
	tval_set(v, "tags", tags);
	tval_set(v, "has_tags", tval_bool(e->is.ntags > 0));
	strbuf_release(&sb);
	return v;
}

/*
 * The issue body as the archive shows it: the email's HTML rendering,
 * filled as a template with no subscriber (so {{^subscriber.name}}
 * fallbacks apply), control characters dropped.
 */
static int render_content(const struct build *b, const struct entry *e,
			  const struct tval *global, struct strbuf *out)
{
	struct markdown *md = markdown_parse(e->is.body, e->is.body_len);
	struct image_map images = IMAGE_MAP_INIT;
	struct strbuf html = STRBUF_INIT, clean = STRBUF_INIT;
	struct tmpl_options opts = { TMPL_ESCAPE_HTML, NULL, NULL, 0 };
	struct tmpl *t;
	struct tval *ctx = tval_object();
	const struct tval *stack[2];
	int r = 0;

	/* Local images at the URL this archive serves them at (assets/). */
	archive_images_collect(b->cfg, md, NULL, &images);
	markdown_set_images(md, &images);
	markdown_render_html(md, &html);
	markdown_free(md);
	image_map_release(&images);
	archive_xml_clean(&clean, html.buf, html.len);
	t = tmpl_compile(e->is.path, clean.buf, clean.len, &opts);
	if (!t) {
		r = -1;
		goto out;
	}
	tval_set(ctx, "issue", issue_summary(e, ""));
	stack[0] = global;
	stack[1] = ctx;
	r = tmpl_render(t, stack, 2, out);
	tmpl_free(t);
out:
	tval_free(ctx);
	strbuf_release(&html);
	strbuf_release(&clean);
	return r;
}

/*
 * What an issue page shows of its neighbours (previous / next, each an
 * issue_summary): page_hash hashes the neighbours' slug and title always,
 * and these fields when the issue template may show them, so that editing
 * an issue re-renders a neighbour's page when, and only when, that page
 * shows what changed ("Previous: 20 November" in a custom template).
 */
enum {
	NB_NUMBER = 1 << 0,
	NB_DATE = 1 << 1,	/* date, date_long */
	NB_PREHEADER = 1 << 2,
	NB_TAGS = 1 << 3,	/* tags, has_tags */
	NB_ALL = (1 << 4) - 1,
};

/* The NB_* bit of a summary field named s[0..len); 0 for the ones always hashed or unknown. */
static unsigned neighbour_field(const char *s, size_t len)
{
	static const struct {
		const char *name;
		unsigned bit;
	} fields[] = {
		{ "number", NB_NUMBER }, { "date", NB_DATE }, { "date_long", NB_DATE },
		{ "preheader", NB_PREHEADER }, { "tags", NB_TAGS }, { "has_tags", NB_TAGS },
	};
	size_t k;

	for (k = 0; k < ARRAY_SIZE(fields); k++)
		if (strlen(fields[k].name) == len && !memcmp(fields[k].name, s, len))
			return fields[k].bit;
	return 0;
}

/* 0 for "next", 1 for "previous" (neighbour_fields' index), -1 for other names. */
static int neighbour_side(const char *s, size_t len)
{
	if (len == 4 && !memcmp(s, "next", 4))
		return 0;
	if (len == 8 && !memcmp(s, "previous", 8))
		return 1;
	return -1;
}

/*
 * tmpl_each_name's callback: "previous.date" shows a field, and so does
 * "date" inside {{#previous}} (the innermost of previous and next around
 * it: a name the summary lacks is looked up further out, so it does not
 * depend on the neighbour); "." inside it, or a recursive partial, may
 * show anything.
 */
static void note_neighbour_field(void *data, const char *name, const char *const *sections, size_t n)
{
	unsigned *used = data;
	size_t first, k;
	int side;

	if (!name) {
		used[0] = used[1] = NB_ALL;
		return;
	}
	first = strcspn(name, ".");
	side = neighbour_side(name, first);
	if (side >= 0) {
		if (name[first] == '.')
			used[side] |= neighbour_field(name + first + 1, strcspn(name + first + 1, "."));
		return;
	}
	for (k = n; k-- > 0;)
		if ((side = neighbour_side(sections[k], strcspn(sections[k], "."))) >= 0)
			break;
	if (side < 0)
		return;
	if (!strcmp(name, "."))
		used[side] = NB_ALL;
	else
		used[side] |= neighbour_field(name, first);
}

static uint64_t neighbour_hash(uint64_t h, unsigned used, const struct entry *e)
{
	size_t k;

	h = fnv_str(h, e ? e->slug : "");
	h = fnv_str(h, e ? e->is.title : "");
	if (!e)
		return h;
	if (used & NB_NUMBER)
		h = fnv(h, &e->is.number, sizeof(e->is.number));
	if (used & NB_DATE)
		h = fnv_str(h, e->is.date);
	if (used & NB_PREHEADER)
		h = fnv_str(h, e->is.preheader);
	if (used & NB_TAGS) {
		h = fnv(h, &e->is.ntags, sizeof(e->is.ntags));
		for (k = 0; k < e->is.ntags; k++)
			h = fnv_str(fnv_str(h, e->is.tags[k]), e->tag_slugs[k]);
	}
	return h;
}

static uint64_t page_hash(const struct build *b, size_t i)
{
	uint64_t h = fnv(b->tmpl_hash, &b->e[i].src_hash, sizeof(b->e[i].src_hash));

	/* Newest first: the next (newer) issue is i - 1, the previous is i + 1. */
	h = neighbour_hash(h, b->neighbour_fields[0], i > 0 ? &b->e[i - 1] : NULL);
	return neighbour_hash(h, b->neighbour_fields[1], i + 1 < b->n ? &b->e[i + 1] : NULL);
}

static int build_issue_page(struct build *b, size_t i, const struct tval *global)
{
	const struct entry *e = &b->e[i];
	struct tval *ctx = tval_object();
	struct strbuf content = STRBUF_INIT, page = STRBUF_INIT, name = STRBUF_INIT;
	const struct tval *stack[2];
	int r;

	r = render_content(b, e, global, &content);
	if (r < 0)
		goto out;
	tval_set(ctx, "issue", issue_summary(e, "../"));
	tval_set(ctx, "content", tval_string_n(content.buf, content.len));
	/* Newest first: the next (newer) issue is i - 1, the previous is i + 1. */
	if (i > 0)
		tval_set(ctx, "next", issue_summary(&b->e[i - 1], "../"));
	if (i + 1 < b->n)
		tval_set(ctx, "previous", issue_summary(&b->e[i + 1], "../"));
	stack[0] = global;
	stack[1] = ctx;
	/* A template that never ends is an error (tmpl.h), never a cut-off page. */
	r = tmpl_render(b->t_issue, stack, 2, &page);
	if (r < 0)
		goto out;
	strbuf_addf(&name, "issues/%s.html", e->slug);
	r = write_out(b, name.buf, &page);
out:
	tval_free(ctx);
	strbuf_release(&content);
	strbuf_release(&page);
	strbuf_release(&name);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_name(char **names, size_t n, const char *name)
{
	return n && bsearch(&name, names, n, sizeof(char *), cmp_str);
}

/* The pages in the previous issues/: one readdir, no stat per page. */
static void read_old_pages(struct build *b)
{
	struct strbuf path = STRBUF_INIT;
	struct dirent *de;
	DIR *d;

	path_join(&path, b->old_dir, "issues");
	d = opendir(path.buf);
	strbuf_release(&path);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			ALLOC_GROW(b->old_pages, b->nold_pages + 1, b->old_pages_alloc);
			b->old_pages[b->nold_pages++] = xstrdup(de->d_name);
		}
	closedir(d);
	if (b->nold_pages)
		qsort(b->old_pages, b->nold_pages, sizeof(char *), cmp_str);
}

/*
 * The pages to render are rendered by one thread per core (a full build is
 * mostly Markdown rendering, each page independent of the others).  Two
 * phases, each joined before the next: first every thread loads its
 * entries' bodies (which replaces their struct issue), then every thread
 * renders its pages, reading neighbours' summaries, which nothing changes
 * any more.  Each page is loaded, rendered and written by one thread only.
 */
#define PAGE_THREADS_MAX 8

struct page_job {
	struct build *b;
	const struct tval *global;
	size_t first, step;
	int load;		/* the phase: 1 load bodies, 0 render pages */
	int r;
};

static void *page_worker(void *arg)
{
	struct page_job *j = arg;
	size_t i;

	for (i = j->first; i < j->b->n && !j->r; i += j->step) {
		if (!j->b->e[i].rendered)
			continue;
		if (j->load)
			j->r = entry_load(&j->b->e[i]);
		else
			j->r = build_issue_page(j->b, i, j->global);
	}
	return NULL;
}

/* Threads for `todo` pages: one per online core, none extra for a few pages. */
static size_t page_threads(size_t todo)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = cpus > 1 ? (size_t)cpus : 1;

	if (n > PAGE_THREADS_MAX)
		n = PAGE_THREADS_MAX;
	return todo < 16 ? 1 : n;
}

/*
 * One phase over the pages to render, on nthreads threads (this one among
 * them).  Should a thread fail to start, this one does its share after.
 */
static int run_phase(struct build *b, const struct tval *global, int load, size_t nthreads)
{
	struct page_job jobs[PAGE_THREADS_MAX];
	pthread_t tid[PAGE_THREADS_MAX];
	int started[PAGE_THREADS_MAX] = { 0 };
	size_t t;
	int r = 0;

	for (t = 0; t < nthreads; t++) {
		jobs[t].b = b;
		jobs[t].global = global;
		jobs[t].first = t;
		jobs[t].step = nthreads;
		jobs[t].load = load;
		jobs[t].r = 0;
	}
	for (t = 1; t < nthreads; t++)
		started[t] = pthread_create(&tid[t], NULL, page_worker, &jobs[t]) == 0;
	page_worker(&jobs[0]);
	for (t = 1; t < nthreads; t++) {
		if (started[t])
			pthread_join(tid[t], NULL);
		else
			page_worker(&jobs[t]);
	}
	for (t = 0; t < nthreads; t++)
		if (jobs[t].r < 0)
			r = -1;
	return r;
}

/*
 * Render the pages whose inputs changed into <tmp>/issues; the others are
 * the previous build's files, which swap_in() moves over with their
 * directory (a handful of renames instead of a link per page).
 */
static int build_issue_pages(struct build *b, struct archive_stats *st)
{
	struct tval *global = global_ctx(b, "../");
	struct strbuf name = STRBUF_INIT;
	size_t i, nthreads;
	int r;

	read_old_pages(b);
	for (i = 0; i < b->n; i++) {
		struct entry *e = &b->e[i];

		e->page_hash = page_hash(b, i);
		strbuf_reset(&name);
		strbuf_addf(&name, "%s.html", e->slug);
		/* A missing old page is simply rendered again. */
		if (manifest_has(&b->old, e->slug, e->page_hash) &&
		    has_name(b->old_pages, b->nold_pages, name.buf))
			continue;
		e->rendered = 1;
		st->rendered++;
	}
	nthreads = page_threads(st->rendered);
	r = run_phase(b, global, 1, nthreads);
	if (!r)
		r = run_phase(b, global, 0, nthreads);
	st->published = b->n;
	tval_free(global);
	strbuf_release(&name);
	return r;
}

/* What a list of issues shows of each (issue_summary): not the body. */
static uint64_t summary_hash(uint64_t h, const struct entry *e)
{
	size_t k;

	h = fnv_str(h, e->slug);
	h = fnv_str(h, e->is.title);
	h = fnv_str(h, e->is.date);
	h = fnv_str(h, e->is.preheader);
	for (k = 0; k < e->is.ntags; k++)
		h = fnv_str(h, e->is.tags[k]);
	return fnv(h, &e->is.ntags, sizeof(e->is.ntags));
}

/*
 * A whole page whose inputs hash as in the previous build is hard-linked
 * from it (the old tree is removed after the swap).  Records "key hash" in
 * the new manifest.  Returns 1 when reused, 0 when the caller must build it.
 */
static int reuse_output(struct build *b, const char *name, const char *key, uint64_t h,
			struct strbuf *manifest)
{
	struct strbuf from = STRBUF_INIT, to = STRBUF_INIT;
	int reused = 0;

	strbuf_addf(manifest, "%s %016llx\n", key, (unsigned long long)h);
	if (manifest_has(&b->old, key, h)) {
		path_join(&from, b->old_dir, name);
		path_join(&to, b->dir, name);
		reused = reuse_file(from.buf, to.buf) == 0;
	}
	strbuf_release(&from);
	strbuf_release(&to);
	return reused;
}

static int build_index(struct build *b, struct strbuf *manifest)
{
	struct tval *global = global_ctx(b, ""), *ctx = tval_object();
	struct tval *years = tval_list(), *year = NULL, *list = NULL, *tags;
	struct strbuf page = STRBUF_INIT;
	const struct tval *stack[2];
	int cur = 0, r;
	size_t i;
	uint64_t h = fnv_str(b->tmpl_hash, "index");

	for (i = 0; i < b->n; i++)
		h = summary_hash(h, &b->e[i]);
	h = fnv(h, &b->n, sizeof(b->n));
	if (reuse_output(b, "index.html", "@index", h, manifest)) {
		tval_free(global);
		tval_free(ctx);
		tval_free(years);
		return 0;
	}
	for (i = 0; i < b->n; i++) {
		if (!year || b->e[i].is.year != cur) {
			cur = b->e[i].is.year;
			year = tval_object();
			tval_set(year, "year", tval_number(cur));
			list = tval_list();
			tval_set(year, "issues", list);
			tval_push(years, year);
		}
		tval_push(list, issue_summary(&b->e[i], ""));
	}
	tval_set(ctx, "years", years);
	tval_set(ctx, "count", tval_number((double)b->n));
	if (b->ntags) {
		tags = tval_list();
		for (i = 0; i < b->ntags; i++) {
			struct tval *t = tval_object();
			struct strbuf u = STRBUF_INIT;

			set_clean(t, "name", b->tags[i].name);
			strbuf_addf(&u, "tags/%s.html", b->tags[i].slug);
			tval_set_str(t, "url", u.buf);
			tval_set(t, "count", tval_number((double)b->tags[i].n));
			tval_push(tags, t);
			strbuf_release(&u);
		}
		tval_set(ctx, "tags", tags);
		tval_set(ctx, "has_tags", tval_bool(1));
	}
	stack[0] = global;
	stack[1] = ctx;
	r = tmpl_render(b->t_index, stack, 2, &page);
	if (r == 0)
		r = write_out(b, "index.html", &page);
	tval_free(global);
	tval_free(ctx);
	strbuf_release(&page);
	return r;
}

static int build_tag_pages(struct build *b, struct strbuf *manifest)
{
	struct tval *global = global_ctx(b, "../");
	struct strbuf page = STRBUF_INIT, name = STRBUF_INIT, key = STRBUF_INIT;
	size_t i, k;
	int r = 0;

	for (i = 0; i < b->ntags && !r; i++) {
		struct tval *ctx, *list, *tag;
		const struct tval *stack[2];
		uint64_t h = fnv_str(fnv_str(b->tmpl_hash, "tag"), b->tags[i].slug);

		h = fnv_str(h, b->tags[i].name);
		for (k = 0; k < b->tags[i].n; k++)
			h = summary_hash(h, &b->e[b->tags[i].entries[k]]);
		h = fnv(h, &b->tags[i].n, sizeof(b->tags[i].n));
		strbuf_reset(&name);
		strbuf_addf(&name, "tags/%s.html", b->tags[i].slug);
		/* A key without spaces, whatever the slug's length. */
		strbuf_reset(&key);
		strbuf_addf(&key, "@tag-%016llx",
			    (unsigned long long)fnv_str(FNV_INIT, b->tags[i].slug));
		if (reuse_output(b, name.buf, key.buf, h, manifest))
			continue;
		ctx = tval_object();
		list = tval_list();
		tag = tval_object();

		set_clean(tag, "name", b->tags[i].name);
		tval_set_str(tag, "slug", b->tags[i].slug);
		tval_set(tag, "count", tval_number((double)b->tags[i].n));
		tval_set(ctx, "tag", tag);
		for (k = 0; k < b->tags[i].n; k++)
			tval_push(list, issue_summary(&b->e[b->tags[i].entries[k]], "../"));
		tval_set(ctx, "issues", list);
		stack[0] = global;
		stack[1] = ctx;
		strbuf_reset(&page);
		r = tmpl_render(b->t_tag, stack, 2, &page);
		if (r == 0)
			r = write_out(b, name.buf, &page);
		tval_free(ctx);
	}
	tval_free(global);
	strbuf_release(&page);
	strbuf_release(&name);
	strbuf_release(&key);
	return r;
}

/* What the feed is made of: templates, config, and its entries' sources. */
static uint64_t feed_hash(const struct build *b, time_t now)
{
	uint64_t h = fnv_str(b->tmpl_hash, "feed");
	size_t i;

	if (!b->n)	/* then its <updated> is now */
		h = fnv(h, &now, sizeof(now));
	for (i = 0; i < b->n && i < FEED_ENTRIES; i++) {
		h = fnv_str(h, b->e[i].slug);
		h = fnv(h, &b->e[i].src_hash, sizeof(b->e[i].src_hash));
	}
	return h;
}

/* RFC 4287: content in full for the newest FEED_ENTRIES issues. */
static int build_feed(struct build *b, time_t now, struct strbuf *manifest)
{
	struct tval *global, *ctx, *list;
	struct strbuf page = STRBUF_INIT, sb = STRBUF_INIT;
	const struct tval *stack[2];
	uint64_t h = feed_hash(b, now);
	size_t i;
	int r = 0;

	strbuf_addf(manifest, "@feed %016llx\n", (unsigned long long)h);
	if (manifest_has(&b->old, "@feed", h)) {
		strbuf_addf(&sb, "%s/feed.xml", b->old_dir);
		strbuf_addf(&page, "%s/feed.xml", b->dir);
		r = reuse_file(sb.buf, page.buf);
		strbuf_release(&sb);
		strbuf_release(&page);
		if (!r)
			return 0;
	}
	global = global_ctx(b, "");
	ctx = tval_object();
	list = tval_list();

	/* Atom's updated (section 4.2.15) is an RFC 3339 date-time. */
	if (b->n) {
		strbuf_addf(&sb, "%sT00:00:00Z", b->e[0].is.date);
	} else {
		char when[32];
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		strbuf_addstr(&sb, when);
	}
	tval_set_str(ctx, "updated", sb.buf);
	for (i = 0; i < b->n && i < FEED_ENTRIES && !r; i++) {
		struct tval *v;

		r = entry_load(&b->e[i]);
		if (r < 0)
			break;
		v = issue_summary(&b->e[i], "");

		strbuf_reset(&sb);
		strbuf_addf(&sb, "%sT00:00:00Z", b->e[i].is.date);
		tval_set_str(v, "updated", sb.buf);
		strbuf_reset(&sb);
		r = render_content(b, &b->e[i], global, &sb);
		tval_set(v, "content", tval_string_n(sb.buf, sb.len));
		tval_push(list, v);
	}
	tval_set(ctx, "entries", list);
	stack[0] = global;
	stack[1] = ctx;
	if (!r) {
		r = tmpl_render(b->t_feed, stack, 2, &page);
		if (r == 0)
			r = write_out(b, "feed.xml", &page);
	}
	tval_free(global);
	tval_free(ctx);
	strbuf_release(&page);
	strbuf_release(&sb);
	return r;
}

/* https://www.sitemaps.org/protocol.html — generated, no template needed. */
static int build_sitemap(struct build *b)
{
	struct strbuf x = STRBUF_INIT, u = STRBUF_INIT;
	size_t i;
	int r;

	strbuf_addstr(&x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		      "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
	strbuf_addstr(&x, "<url><loc>");
	strbuf_add_html_escaped(&x, b->cfg->base_url, strlen(b->cfg->base_url));
	strbuf_addstr(&x, "</loc>");
	if (b->n)
		strbuf_addf(&x, "<lastmod>%s</lastmod>", b->e[0].is.date);
	strbuf_addstr(&x, "</url>\n");
	for (i = 0; i < b->n; i++) {
		strbuf_addstr(&x, "<url><loc>");
		strbuf_add_html_escaped(&x, b->e[i].web_url, strlen(b->e[i].web_url));
		strbuf_addf(&x, "</loc><lastmod>%s</lastmod></url>\n", b->e[i].is.date);
	}
	for (i = 0; i < b->ntags; i++) {
		strbuf_reset(&u);
		strbuf_addf(&u, "%stags/%s.html", b->cfg->base_url, b->tags[i].slug);
		strbuf_addstr(&x, "<url><loc>");
		strbuf_add_html_escaped(&x, u.buf, u.len);
		strbuf_addstr(&x, "</loc></url>\n");
	}
	strbuf_addstr(&x, "</urlset>\n");
	r = write_out(b, "sitemap.xml", &x);
	strbuf_release(&x);
	strbuf_release(&u);
	return r;
}

/* One issue's record of the search index: {"t":..,"u":..,"d":..,"p":..,"x":..}. */
static void search_record(const struct entry *e, struct strbuf *js)
{
	struct strbuf text = STRBUF_INIT, clean = STRBUF_INIT, u = STRBUF_INIT;

	archive_search_text(&text, e->is.body, e->is.body_len);
	archive_xml_clean(&clean, text.buf, text.len);
	strbuf_addf(&u, "issues/%s.html", e->slug);
	strbuf_addstr(js, "{\"t\":");
	strbuf_add_json_string(js, e->is.title, strlen(e->is.title));
	strbuf_addstr(js, ",\"u\":");
	strbuf_add_json_string(js, u.buf, u.len);
	strbuf_addstr(js, ",\"d\":");
	strbuf_add_json_string(js, e->is.date, strlen(e->is.date));
	strbuf_addstr(js, ",\"p\":");
	strbuf_add_json_string(js, e->is.preheader ? e->is.preheader : "",
			  e->is.preheader ? strlen(e->is.preheader) : 0);
	strbuf_addstr(js, ",\"x\":");
	strbuf_add_json_string(js, clean.buf, clean.len);
	strbuf_addch(js, '}');
	strbuf_release(&text);
	strbuf_release(&clean);
	strbuf_release(&u);
}

/*
 * The new search index as pieces: new bytes (in a buffer), or a range of
 * the previous index file.  Unchanged records in a row are one range, so
 * the ~4 MB index of 1,000 issues is written with a few copy_file_range()
 * calls (in-kernel copies) and one small write per changed record.
 */
struct piece {
	int from_old;
	size_t off, len;	/* in fresh or in the old file */
};

struct pieces {
	struct piece *p;
	size_t n, alloc;
	struct strbuf fresh;
	size_t total;		/* bytes so far: the next piece's offset in the new file */
};

static void piece_new(struct pieces *ps, const char *s, size_t len)
{
	if (ps->n && !ps->p[ps->n - 1].from_old &&
	    ps->p[ps->n - 1].off + ps->p[ps->n - 1].len == ps->fresh.len) {
		ps->p[ps->n - 1].len += len;
	} else {
		ALLOC_GROW(ps->p, ps->n + 1, ps->alloc);
		ps->p[ps->n].from_old = 0;
		ps->p[ps->n].off = ps->fresh.len;
		ps->p[ps->n++].len = len;
	}
	strbuf_add(&ps->fresh, s, len);
	ps->total += len;
}

static void piece_old(struct pieces *ps, size_t off, size_t len)
{
	if (ps->n && ps->p[ps->n - 1].from_old &&
	    ps->p[ps->n - 1].off + ps->p[ps->n - 1].len == off) {
		ps->p[ps->n - 1].len += len;
	} else {
		ALLOC_GROW(ps->p, ps->n + 1, ps->alloc);
		ps->p[ps->n].from_old = 1;
		ps->p[ps->n].off = off;
		ps->p[ps->n++].len = len;
	}
	ps->total += len;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* len bytes at off of old_fd to the end of fd: in the kernel when it can. */
static int copy_range(int old_fd, size_t off, size_t len, int fd)
{
	loff_t in = (loff_t)off;
	char buf[65536];

	while (len) {
		ssize_t n = copy_file_range(old_fd, &in, fd, NULL, len, 0);

		if (n > 0) {
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EXDEV && errno != ENOSYS && errno != EINVAL &&
		    errno != EOPNOTSUPP)
			return -1;
		break;	/* not supported here: copy through user space */
	}
	while (len) {
		ssize_t n = pread(old_fd, buf, len < sizeof(buf) ? len : sizeof(buf), in);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = EIO;	/* shorter than the manifest says: not "Success" */
		if (n <= 0 || write_all(fd, buf, (size_t)n) < 0)
			return -1;
		in += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_pieces(const struct build *b, const char *name, const struct pieces *ps,
			int old_fd)
{
	struct strbuf path = STRBUF_INIT;
	size_t i;
	int fd, r = 0;

	path_join(&path, b->dir, name);
	fd = open(path.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = error("cannot write '%s': %s", path.buf, strerror(errno));
		goto out;
	}
	for (i = 0; i < ps->n && !r; i++) {
		const struct piece *p = &ps->p[i];

		if (p->from_old ? copy_range(old_fd, p->off, p->len, fd) < 0 :
		    write_all(fd, ps->fresh.buf + p->off, p->len) < 0)
			r = error("cannot write '%s': %s", path.buf, strerror(errno));
	}
	if (close(fd) < 0 && !r)
		r = error("cannot write '%s': %s", path.buf, strerror(errno));
out:
	strbuf_release(&path);
	return r;
}

/*
 * window.NEWSBEAT_SEARCH = [{t,u,d,p,x}, ...]: a script, so file:// works.
 * An unchanged issue's record (with the ",\n" after it) is copied from the
 * previous index, where the manifest says it is, instead of being made
 * again from the body.  The old file must have the size the manifest says.
 */
static int build_search_index(struct build *b, struct strbuf *manifest)
{
	static const char head[] = "window.NEWSBEAT_SEARCH = [\n", tail[] = "\n];\n";
	struct pieces ps;
	struct strbuf path = STRBUF_INIT, rec = STRBUF_INIT;
	const struct manifest_row *prev_size = manifest_get(&b->old, "@search");
	size_t i, old_len = 0;
	int r = 0, old_fd = -1;

	memset(&ps, 0, sizeof(ps));
	strbuf_init(&ps.fresh, 0);
	path_join(&path, b->old_dir, "search-index.js");
	if (prev_size) {
		struct stat st;

		old_fd = open(path.buf, O_RDONLY | O_CLOEXEC);
		if (old_fd >= 0 && (fstat(old_fd, &st) < 0 ||
				    (uint64_t)st.st_size != prev_size->hash)) {
			close(old_fd);
			old_fd = -1;
		}
		if (old_fd >= 0)
			old_len = (size_t)st.st_size;
	}
	piece_new(&ps, head, strlen(head));
	for (i = 0; i < b->n && !r; i++) {
		struct entry *e = &b->e[i];
		const struct manifest_row *m = manifest_get(&b->old, e->slug);
		int last = i + 1 == b->n;

		e->s_off = ps.total;
		if (old_fd >= 0 && m && m->s_len && m->src_hash == e->src_hash &&
		    m->s_off >= strlen(head) && m->s_off + m->s_len + strlen(tail) <= old_len) {
			/* Followed by ",\n" there unless it was the last record. */
			int old_last = m->s_off + m->s_len + strlen(tail) == old_len;

			e->s_len = m->s_len;
			if (!last && !old_last) {
				piece_old(&ps, m->s_off, m->s_len + 2);
				continue;
			}
			piece_old(&ps, m->s_off, m->s_len);
		} else {
			r = entry_load(e);
			if (r < 0)
				break;
			strbuf_reset(&rec);
			search_record(e, &rec);
			e->s_len = rec.len;
			piece_new(&ps, rec.buf, rec.len);
		}
		if (!last)
			piece_new(&ps, ",\n", 2);
	}
	piece_new(&ps, tail, strlen(tail));
	if (!r)
		r = write_pieces(b, "search-index.js", &ps, old_fd);
	strbuf_addf(manifest, "@search %llx\n", (unsigned long long)ps.total);
	for (i = 0; i < b->n; i++)
		strbuf_addf(manifest, "%s %016llx %016llx %zu %zu\n", b->e[i].slug,
			    (unsigned long long)b->e[i].page_hash,
			    (unsigned long long)b->e[i].src_hash, b->e[i].s_off, b->e[i].s_len);
	if (old_fd >= 0)
		close(old_fd);
	free(ps.p);
	strbuf_release(&ps.fresh);
	strbuf_release(&rec);
	strbuf_release(&path);
	return r;
}

static int copy_static(struct build *b)
{
	static const char *const files[] = { "style.css", "search.js" };
	struct strbuf src = STRBUF_INIT, path = STRBUF_INIT, assets = STRBUF_INIT;
	size_t i;
	int r = 0;

	for (i = 0; i < ARRAY_SIZE(files) && !r; i++) {
		strbuf_reset(&src);
		if (read_template(b->cfg, files[i], &src, &path) < 0)
			r = error("cannot read '%s': %s", path.buf, strerror(errno));
		else
			r = write_out(b, files[i], &src);
	}
	path_join(&assets, b->cfg->issues_dir, "assets");
	if (!r && is_dir(assets.buf)) {
		strbuf_reset(&path);
		path_join(&path, b->dir, "assets");
		r = copy_tree(assets.buf, path.buf);
	}
	strbuf_release(&src);
	strbuf_release(&path);
	strbuf_release(&assets);
	return r;
}

/* ---------- swapping ---------- */

/*
 * The output directory is replaced wholesale, so it must be ours: missing,
 * empty, or holding a previous archive's manifest.  This keeps
 * `archive -o ~` from deleting a home directory.
 */
static int check_out_dir(const char *out_dir)
{
	struct strbuf m = STRBUF_INIT;
	DIR *d;
	struct dirent *de;
	int r = 0, empty = 1;

	if (!path_exists(out_dir))
		return 0;
	if (!is_dir(out_dir))
		return error("'%s' exists and is not a directory; choose another -o", out_dir);
	path_join(&m, out_dir, MANIFEST);
	if (path_exists(m.buf))
		goto out;
	d = opendir(out_dir);
	if (!d) {
		r = error("cannot read directory '%s': %s", out_dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(d);
	if (!empty)
		r = error("'%s' is not empty and was not made by 'newsbeat archive' (no %s): "
			  "the archive replaces the whole directory, so choose an empty or new one",
			  out_dir, MANIFEST);
out:
	strbuf_release(&m);
	return r;
}

/* The renames done so far, undone in reverse order if a later one fails. */
struct undo {
	char **from, **to;
	size_t n, alloc, alloc2;
};

static int do_rename(struct undo *u, const char *from, const char *to)
{
	/*
	 * Tests make the Nth rename fail, to check that the undo restores
	 * everything, or kill the process there, as kill -9 would, to check
	 * that the next build recovers (recover_swap).
	 */
	static long countdown = -1;
	static int kill_there;

	if (countdown == -1) {
		const char *e = testhook("NEWSBEAT_TEST_FAIL_RENAME");
		const char *k = testhook("NEWSBEAT_TEST_KILL_RENAME");

		kill_there = k && *k;
		countdown = kill_there ? atol(k) : e && *e ? atol(e) : 0;
	}
	if (countdown > 0 && --countdown == 0) {
		if (kill_there)
			raise(SIGKILL);
		errno = EIO;
		return error("cannot move '%s' to '%s': %s (NEWSBEAT_TEST_FAIL_RENAME)",
			     from, to, strerror(errno));
	}
	if (rename(from, to) < 0)
		return error("cannot move '%s' to '%s': %s", from, to, strerror(errno));
	ALLOC_GROW(u->from, u->n + 1, u->alloc);
	ALLOC_GROW(u->to, u->n + 1, u->alloc2);
	u->from[u->n] = xstrdup(from);
	u->to[u->n++] = xstrdup(to);
	return 0;
}

static void undo_release(struct undo *u, int roll_back)
{
	while (u->n--) {
		if (roll_back && rename(u->to[u->n], u->from[u->n]) < 0)
			warning("cannot move '%s' back to '%s': %s", u->to[u->n],
				u->from[u->n], strerror(errno));
		free(u->from[u->n]);
		free(u->to[u->n]);
	}
	free(u->from);
	free(u->to);
}

/*
 * Move the previous archive's issues/ into new_dir, with this build's
 * pages put in place of the old versions and pages of issues no longer
 * published taken out (into old_dir/.dropped, removed with old_dir).
 * Every step is a rename recorded in u.
 */
static int adopt_old_pages(const struct build *b, struct undo *u, const char *new_dir,
			   const char *old_dir)
{
	struct strbuf rendered = STRBUF_INIT, keep = STRBUF_INIT, dropped = STRBUF_INIT;
	struct strbuf from = STRBUF_INIT, to = STRBUF_INIT;
	char **names = xcalloc(b->n + 1, sizeof(char *));
	size_t i;
	int r;

	strbuf_addf(&rendered, "%s/.rendered", new_dir);
	strbuf_addf(&keep, "%s/issues", new_dir);
	strbuf_addf(&dropped, "%s/.dropped", old_dir);
	strbuf_addf(&from, "%s/issues", old_dir);
	r = do_rename(u, keep.buf, rendered.buf);
	if (!r)
		r = do_rename(u, from.buf, keep.buf);
	if (!r && mkdir(dropped.buf, 0755) < 0)
		r = error("cannot create '%s': %s", dropped.buf, strerror(errno));
	for (i = 0; i < b->n; i++) {
		struct strbuf sb = STRBUF_INIT;

		strbuf_addf(&sb, "%s.html", b->e[i].slug);
		names[i] = strbuf_detach(&sb, NULL);
	}
	for (i = 0; i < b->n && !r; i++) {
		if (!b->e[i].rendered)
			continue;
		if (has_name(b->old_pages, b->nold_pages, names[i])) {
			strbuf_reset(&from);
			strbuf_reset(&to);
			strbuf_addf(&from, "%s/%s", keep.buf, names[i]);
			strbuf_addf(&to, "%s/%s", dropped.buf, names[i]);
			r = do_rename(u, from.buf, to.buf);
		}
		strbuf_reset(&from);
		strbuf_reset(&to);
		strbuf_addf(&from, "%s/%s", rendered.buf, names[i]);
		strbuf_addf(&to, "%s/%s", keep.buf, names[i]);
		if (!r)
			r = do_rename(u, from.buf, to.buf);
	}
	qsort(names, b->n, sizeof(char *), cmp_str);
	for (i = 0; i < b->nold_pages && !r; i++) {
		if (has_name(names, b->n, b->old_pages[i]))
			continue;
		strbuf_reset(&from);
		strbuf_reset(&to);
		strbuf_addf(&from, "%s/%s", keep.buf, b->old_pages[i]);
		strbuf_addf(&to, "%s/%s", dropped.buf, b->old_pages[i]);
		r = do_rename(u, from.buf, to.buf);
	}
	if (!r && rmdir(rendered.buf) < 0)
		r = error("cannot remove '%s': %s", rendered.buf, strerror(errno));
	for (i = 0; i < b->n; i++)
		free(names[i]);
	free(names);
	strbuf_release(&rendered);
	strbuf_release(&keep);
	strbuf_release(&dropped);
	strbuf_release(&from);
	strbuf_release(&to);
	return r;
}

/*
 * Move new_dir to out_dir: the old archive is renamed away, the unchanged
 * pages move over, new_dir is renamed into place, then the old one is
 * removed.  Only renames happen between the first and the last step, and
 * a failure undoes them all, so the previous archive is back as it was.
 */
static int swap_in(const struct build *b, const char *new_dir, const char *out_dir)
{
	struct strbuf old = STRBUF_INIT;
	struct undo u = { 0 };
	int r = 0, had_old = path_exists(out_dir);

	if (had_old) {
		strbuf_addf(&old, "%s.old-%ld", out_dir, (long)getpid());
		remove_tree(old.buf);
		r = do_rename(&u, out_dir, old.buf);
		if (!r && b->nold_pages)
			r = adopt_old_pages(b, &u, new_dir, old.buf);
	}
	if (!r)
		r = do_rename(&u, new_dir, out_dir);
	undo_release(&u, r < 0);
	if (r < 0 && had_old) {
		/* adopt_old_pages' directory, empty again after the undo */
		strbuf_reset(&old);
		strbuf_addf(&old, "%s/.dropped", out_dir);
		rmdir(old.buf);
		strbuf_reset(&old);
		strbuf_addf(&old, "%s.old-%ld", out_dir, (long)getpid());
	}
	if (!r && had_old && remove_tree(old.buf) < 0)
		warning("the previous archive is left in '%s'", old.buf);
	strbuf_release(&old);
	return r;
}

/* A name swap_in() or archive_build() gives: 'o' "<base>.old-PID", 'n' "<base>.new-XXXXXX", else 0. */
static int leftover_kind(const char *name, const char *base, size_t blen)
{
	const char *rest = name + blen;

	if (strncmp(name, base, blen))
		return 0;
	if (!strncmp(rest, ".old-", 5) && rest[5] && !rest[5 + strspn(rest + 5, "0123456789")])
		return 'o';
	if (!strncmp(rest, ".new-", 5) && strlen(rest + 5) == 6)
		return 'n';
	return 0;
}

/* The second case below: finish adopt_old_pages() in `fresh`, make it out. */
static int roll_forward(const char *fresh, const char *out)
{
	struct strbuf rendered = STRBUF_INIT, from = STRBUF_INIT, to = STRBUF_INIT;
	DIR *d;
	struct dirent *de;
	int r = 0;

	path_join(&rendered, fresh, ".rendered");
	d = opendir(rendered.buf);	/* gone if the crash came after its rmdir */
	while (d && !r && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		strbuf_reset(&from);
		strbuf_reset(&to);
		strbuf_addf(&from, "%s/%s", rendered.buf, de->d_name);
		strbuf_addf(&to, "%s/issues/%s", fresh, de->d_name);
		if (rename(from.buf, to.buf) < 0)
			r = error("cannot move '%s' to '%s': %s", from.buf, to.buf, strerror(errno));
	}
	if (d) {
		closedir(d);
		if (!r && rmdir(rendered.buf) < 0)
			r = error("cannot remove '%s': %s", rendered.buf, strerror(errno));
	}
	if (!r && rename(fresh, out) < 0)
		r = error("cannot move '%s' to '%s': %s", fresh, out, strerror(errno));
	strbuf_release(&rendered);
	strbuf_release(&from);
	strbuf_release(&to);
	return r;
}

/*
 * A build killed during swap_in() (kill -9, a power cut) leaves
 * "<out>.old-PID" and "<out>.new-XXXXXX" beside out, and between the
 * first rename and the last no out at all.  Called under the lock, so no
 * other build is running: put the archive back together, then remove
 * every such leftover (builds killed before their swap leave a
 * "<out>.new-XXXXXX" too).  Other names beside out are not touched.
 *  - out missing, an "<out>.old-PID" still holding issues/: the swap had
 *    only moved it away; it is the previous archive, whole: moved back.
 *  - out missing, an "<out>.old-PID" without issues/: the unchanged pages
 *    were moving into the new tree (adopt_old_pages), which is complete
 *    (it has its manifest) but for the pages still in its .rendered/:
 *    they are moved in and the tree becomes out.  Pages of issues no
 *    longer published that were not moved out yet go at the next build.
 *  - out missing and more than one candidate of either kind: refused,
 *    saying which; nothing is removed.
 */
static int recover_swap(const char *out)
{
	struct strbuf dir = STRBUF_INIT, path = STRBUF_INIT;
	const char *base = strrchr(out, '/');
	char **left = NULL, *old = NULL, *fresh = NULL;
	size_t nleft = 0, alloc = 0, i, blen;
	int nold = 0, nfresh = 0, r = 0;
	DIR *d;
	struct dirent *de;

	if (base) {
		strbuf_add(&dir, out, (size_t)(base - out));
		if (!dir.len)
			strbuf_addch(&dir, '/');
		base++;
	} else {
		strbuf_addch(&dir, '.');
		base = out;
	}
	blen = strlen(base);
	d = opendir(dir.buf);
	while (d && (de = readdir(d))) {
		int kind = leftover_kind(de->d_name, base, blen);

		if (!kind)
			continue;
		strbuf_reset(&path);
		path_join(&path, dir.buf, de->d_name);
		ALLOC_GROW(left, nleft + 1, alloc);
		left[nleft] = xstrdup(path.buf);
		if (kind == 'o') {
			old = left[nleft];
			nold++;
		} else {
			path_join(&path, left[nleft], MANIFEST);
			if (path_exists(path.buf)) {
				fresh = left[nleft];
				nfresh++;
			}
		}
		nleft++;
	}
	if (d)
		closedir(d);
	if (!path_exists(out) && nold) {
		if (nold > 1 || nfresh > 1) {
			r = error("'%s' is missing and interrupted builds left %d '%s.old-*' and %d complete "
				  "'%s.new-*' directories beside it: move the right one to '%s' by hand",
				  out, nold, base, nfresh, base, out);
			goto done;
		}
		strbuf_reset(&path);
		path_join(&path, old, "issues");
		if (path_exists(path.buf) || !fresh) {
			if (rename(old, out) < 0)
				r = error("cannot move '%s' back to '%s': %s", old, out, strerror(errno));
			else
				warning("a build was interrupted while it swapped the archive in: "
					"'%s' is back as it was", out);
		} else if (!(r = roll_forward(fresh, out))) {
			warning("a build was interrupted while it swapped the archive in: "
				"its new archive is now in '%s'", out);
		}
		if (r)
			goto done;
	}
	/* What is still there is a dead build's. */
	for (i = 0; i < nleft; i++)
		if (is_dir(left[i]) && remove_tree(left[i]) < 0)
			warning("cannot remove '%s' (left by an interrupted build)", left[i]);
done:
	for (i = 0; i < nleft; i++)
		free(left[i]);
	free(left);
	strbuf_release(&dir);
	strbuf_release(&path);
	return r;
}

static void build_release(struct build *b)
{
	size_t i, k;

	for (i = 0; i < b->n; i++) {
		for (k = 0; k < b->e[i].is.ntags; k++)
			free(b->e[i].tag_slugs[k]);
		free(b->e[i].tag_slugs);
		free(b->e[i].slug);
		free(b->e[i].web_url);
		issue_release(&b->e[i].is);
	}
	free(b->e);
	for (i = 0; i < b->ntags; i++) {
		free(b->tags[i].slug);
		free(b->tags[i].name);
		free(b->tags[i].entries);
	}
	free(b->tags);
	if (b->t_index)
		tmpl_free(b->t_index);
	if (b->t_issue)
		tmpl_free(b->t_issue);
	if (b->t_tag)
		tmpl_free(b->t_tag);
	if (b->t_feed)
		tmpl_free(b->t_feed);
	for (i = 0; i < b->npartial; i++)
		free(b->partial_names[i]);
	free(b->partial_names);
	manifest_release(&b->old);
	for (i = 0; i < b->nold_pages; i++)
		free(b->old_pages[i]);
	free(b->old_pages);
	archive_cache_release(&b->cache);
	strbuf_release(&b->new_cache);
}

static int compile_templates(struct build *b)
{
	if (!(b->t_index = compile_template(b, "archive-index.html")) ||
	    !(b->t_issue = compile_template(b, "archive-issue.html")) ||
	    !(b->t_tag = compile_template(b, "archive-tag.html")) ||
	    !(b->t_feed = compile_template(b, "feed.xml")))
		return -1;
	return 0;
}

int archive_check_templates(const struct config *cfg)
{
	static const char *const files[] = { "style.css", "search.js" };
	struct build b = { 0 };
	struct strbuf src = STRBUF_INIT, path = STRBUF_INIT;
	size_t i;
	int r;

	b.cfg = cfg;
	strbuf_init(&b.new_cache, 0);
	r = compile_templates(&b);
	for (i = 0; i < ARRAY_SIZE(files) && !r; i++)
		if (read_template(cfg, files[i], &src, &path) < 0)
			r = error("cannot read '%s': %s (is [paths] templates right?)",
				  path.buf, strerror(errno));
	build_release(&b);
	strbuf_release(&src);
	strbuf_release(&path);
	return r;
}

int archive_build(const struct config *cfg, const char *out_dir, time_t now,
		  struct archive_stats *stats)
{
	struct build b = { 0 };
	struct archive_stats st = { 0, 0, 0 };
	struct strbuf out = STRBUF_INIT, tmp = STRBUF_INIT, manifest = STRBUF_INIT;
	struct strbuf sub = STRBUF_INIT;
	int r = -1, lock_fd = -1;
	char *slash;

	b.cfg = cfg;
	strbuf_init(&b.new_cache, 0);
	/* Without trailing slashes, so "<out>.new-XXXXXX" lands beside it. */
	strbuf_addstr(&out, out_dir);
	while (out.len > 1 && out.buf[out.len - 1] == '/')
		strbuf_setlen(&out, out.len - 1);
	if (!out.len)
		strbuf_addch(&out, '.');

	b.tmpl_hash = fnv_str(FNV_INIT, NEWSBEAT_VERSION);
	b.tmpl_hash = fnv_str(b.tmpl_hash, cfg->name);
	b.tmpl_hash = fnv_str(b.tmpl_hash, cfg->base_url);
	b.tmpl_hash = fnv_str(b.tmpl_hash, cfg->language);
	b.tmpl_hash = fnv_str(b.tmpl_hash, cfg->list_id);
	if (compile_templates(&b) < 0)
		goto out;
	tmpl_each_name(b.t_issue, note_neighbour_field, b.neighbour_fields);
	/* The parent must exist for the temporary directory beside out. */
	slash = strrchr(out.buf, '/');
	if (slash && slash != out.buf) {
		strbuf_add(&sub, out.buf, (size_t)(slash - out.buf));
		if (mkdir_p(sub.buf, 0755) < 0)
			goto out;
	}
	/*
	 * One build at a time per output directory (the lock file sits beside
	 * it), taken before the previous build's manifest and cache are read:
	 * they must describe the archive this build replaces.
	 */
	strbuf_reset(&sub);
	strbuf_addf(&sub, "%s.lock", out.buf);
	lock_fd = open(sub.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX) < 0) {
		error("cannot lock '%s': %s", sub.buf, strerror(errno));
		goto out;
	}
	if (recover_swap(out.buf) < 0 || check_out_dir(out.buf) < 0)
		goto out;
	b.old_dir = out.buf;
	b.started = time(NULL);
	manifest_read(&b.old, out.buf);
	archive_cache_read(&b.cache, out.buf);
	archive_cache_header(&b.new_cache, b.started);
	if (load_issues(&b, now, &st) < 0)
		goto out;
	collect_tags(&b);

	strbuf_addf(&tmp, "%s.new-XXXXXX", out.buf);
	if (!mkdtemp(tmp.buf)) {
		error("cannot create a directory beside '%s': %s", out.buf, strerror(errno));
		goto out;
	}
	chmod(tmp.buf, 0755);
	b.dir = tmp.buf;
	strbuf_reset(&sub);
	path_join(&sub, tmp.buf, "issues");
	if (mkdir_p(sub.buf, 0755) < 0)
		goto fail;
	strbuf_reset(&sub);
	path_join(&sub, tmp.buf, "tags");
	if (b.ntags && mkdir_p(sub.buf, 0755) < 0)
		goto fail;

	if (build_issue_pages(&b, &st) < 0 ||
	    build_index(&b, &manifest) < 0 || build_tag_pages(&b, &manifest) < 0 ||
	    build_feed(&b, now, &manifest) < 0 || build_sitemap(&b) < 0 ||
	    build_search_index(&b, &manifest) < 0 || copy_static(&b) < 0 ||
	    write_out(&b, MANIFEST, &manifest) < 0 ||
	    write_out(&b, CACHE, &b.new_cache) < 0)
		goto fail;
	if (swap_in(&b, tmp.buf, out.buf) < 0)
		goto fail;
	r = 0;
	if (stats)
		*stats = st;
	goto out;
fail:
	remove_tree(tmp.buf);
out:
	build_release(&b);
	if (lock_fd >= 0)
		close(lock_fd);
	strbuf_release(&out);
	strbuf_release(&tmp);
	strbuf_release(&manifest);
	strbuf_release(&sub);
	return r;
}
