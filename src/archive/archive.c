/*
 * The static web archive: see archive.h for what is written and how a
 * rebuild stays safe and incremental.  This file holds the build itself:
 * templates, the previous manifest, loading the issues; the pages, the
 * lists, the search index and the swap have files of their own.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/fsutil.h"
#include "base/hash.h"
#include "base/config.h"
#include "core/issue.h"
#include "core/markdown.h"
#include "core/tmpl.h"
#include "core/templates.h"
#include "archive/archive.h"
#include "archive/archive_internal.h"
#include "archive/archive_images.h"
#include "archive/archive_swap.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Pages and search records of another format are made again, whatever the templates. */
#define ARCHIVE_OUTPUT_FORMAT "2"

void archive_issue_url(const char *base_url, const char *slug, struct strbuf *out)
{
	strbuf_addstr(out, base_url);
	strbuf_addstr(out, "issues/");
	strbuf_addstr(out, slug);
	strbuf_addstr(out, ".html");
}


/* ---------- templates ---------- */

/* Every template and partial read goes into the build's template hash. */
static void hash_template(void *data, const char *name, const char *src, size_t len)
{
	struct build *b = data;

	b->tmpl_hash = fnv64(fnv64_str(b->tmpl_hash, name), src, len);
}


/* ---------- files ---------- */

/* Plain write: the whole directory is swapped in atomically later. */
int archive_write_out(const struct build *b, const char *name, const struct strbuf *data)
{
	struct strbuf path = STRBUF_INIT;
	int r;

	path_join(&path, b->dir, name);
	r = write_file(path.buf, data->buf, data->len, 0644);
	strbuf_release(&path);
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

	path_join(&path, out_dir, ARCHIVE_MANIFEST);
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

const struct manifest_row *archive_manifest_get(const struct manifest *m, const char *slug)
{
	struct manifest_row key = { (char *)slug, 0, 0, 0, 0 };

	if (!m->n)
		return NULL;
	return bsearch(&key, m->rows, m->n, sizeof(*m->rows), cmp_row);
}

int archive_manifest_has(const struct manifest *m, const char *slug, uint64_t hash)
{
	const struct manifest_row *r = archive_manifest_get(m, slug);

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
static void cache_add(struct build *b, const struct entry *e, const struct stat *st)
{
	const struct issue *is = &e->is;
	struct archive_cache_row row;

	memset(&row, 0, sizeof(row));
	archive_cache_set_stat(&row, st);
	row.path = is->path;
	row.src_hash = e->src_hash;
	row.number = is->number;
	row.draft = is->draft;
	row.date = is->date;
	row.title = is->title;
	row.preheader = is->preheader;
	row.tags = is->tags;
	row.ntags = is->ntags;
	row.images = e->images;
	row.nimages = e->nimages;
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

/*
 * The files of an issue's local images: from the cache, or from its
 * body when it was read (a cmark parse, for a body that may have any:
 * the price of knowing which pages a replaced image makes stale).
 */
static void entry_images(struct entry *e, const struct archive_cache_row *row)
{
	size_t k;

	if (row) {
		e->nimages = row->nimages;
		e->images = row->nimages ? xcalloc(row->nimages, sizeof(char *)) : NULL;
		for (k = 0; k < row->nimages; k++)
			e->images[k] = xstrdup(row->images[k]);
		return;
	}
	archive_images_files(e->is.body, e->is.body_len, &e->images, &e->nimages);
}

/*
 * The images' part of the page hash: each file's name and stat (as the
 * cache tells an unchanged issue file), or that it is missing.  A page
 * with no local image gets 0 and a hash as before there was this part.
 */
static uint64_t images_hash(const struct config *cfg, char **images, size_t n)
{
	struct strbuf path = STRBUF_INIT;
	uint64_t h = FNV64_INIT;
	size_t k;

	if (!n)
		return 0;
	for (k = 0; k < n; k++) {
		struct archive_cache_row now;
		struct stat st;

		strbuf_reset(&path);
		path_join(&path, cfg->issues_dir, images[k]);
		h = fnv64_str(h, images[k]);
		if (stat(path.buf, &st) < 0) {
			h = fnv64_str(h, "missing");
			continue;
		}
		archive_cache_set_stat(&now, &st);
		h = fnv64(h, &now.size, sizeof(now.size));
		h = fnv64(h, &now.mtime_s, sizeof(now.mtime_s));
		h = fnv64(h, &now.mtime_ns, sizeof(now.mtime_ns));
		h = fnv64(h, &now.ctime_s, sizeof(now.ctime_s));
		h = fnv64(h, &now.ctime_ns, sizeof(now.ctime_ns));
		h = fnv64(h, &now.ino, sizeof(now.ino));
	}
	strbuf_release(&path);
	return h;
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
		*hash = fnv64(FNV64_INIT, src.buf, src.len);
	if (r < 0)
		issue_release(is);	/* whatever the parser kept */
	strbuf_release(&src);
	return r;
}

/* The body of an issue known from the cache, when its page or feed entry is made. */
int archive_entry_load(struct entry *e)
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
		strbuf_init(&e->search, 0);
		/* Unchanged since the previous build: one stat(), no read, no parse. */
		if (stat(paths[i], &fst) == 0 &&
		    (row = archive_cache_lookup(&b->cache, paths[i], &fst))) {
			issue_from_row(&e->is, row);
			e->src_hash = row->src_hash;
			entry_images(e, row);
		} else if (read_issue(&e->is, paths[i], &fst, &e->src_hash) < 0) {
			r = -1;
			goto next;
		} else {
			e->loaded = 1;
			entry_images(e, NULL);
		}
		cache_add(b, e, &fst);
		if (issue_state(&e->is, now) != ISSUE_PUBLISHED) {
			st->skipped++;
			issue_release(&e->is);
			archive_images_files_free(e->images, e->nimages);
			goto next;
		}
		e->images_hash = images_hash(b->cfg, e->images, e->nimages);
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


static int copy_static(struct build *b)
{
	/*
	 * The favicon may be missing: template sets copied before it existed
	 * do not link it, and a newsbeat run from its build tree may have no
	 * installed copy to fall back on.
	 */
	static const struct {
		const char *name;
		int optional;
	} files[] = { { "style.css", 0 }, { "search.js", 0 }, { "favicon.svg", 1 } };
	struct strbuf src = STRBUF_INIT, path = STRBUF_INIT, assets = STRBUF_INIT;
	size_t i;
	int r = 0;

	for (i = 0; i < ARRAY_SIZE(files) && !r; i++) {
		strbuf_reset(&src);
		r = files[i].optional ?
			    templates_read_optional(b->templates, files[i].name, &src, &path) :
			    templates_read(b->templates, files[i].name, &src, &path);
		if (!r)
			r = archive_write_out(b, files[i].name, &src);
		else if (r > 0)
			r = 0;	/* optional and absent */
	}
	path_join(&assets, b->cfg->issues_dir, "assets");
	if (!r && is_dir(assets.buf)) {
		strbuf_reset(&path);
		path_join(&path, b->dir, "assets");
		r = copy_tree(assets.buf, path.buf, 0644);
	}
	strbuf_release(&src);
	strbuf_release(&path);
	strbuf_release(&assets);
	return r;
}


/* archive_swap_in() with this build's pages, and those it rendered. */
static int swap_in(const struct build *b, const char *new_dir, const char *out_dir)
{
	struct archive_pageset pages = { 0 }, rendered = { 0 };
	struct strbuf name = STRBUF_INIT;
	size_t i;
	int r;

	for (i = 0; i < b->n; i++) {
		strbuf_reset(&name);
		strbuf_addf(&name, "%s.html", b->e[i].slug);
		archive_pageset_add(&pages, name.buf);
		if (b->e[i].rendered)
			archive_pageset_add(&rendered, name.buf);
	}
	archive_pageset_sort(&pages);
	archive_pageset_sort(&rendered);
	r = archive_swap_in(new_dir, out_dir, &pages, &rendered, &b->old_pages);
	archive_pageset_release(&pages);
	archive_pageset_release(&rendered);
	strbuf_release(&name);
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
		archive_images_files_free(b->e[i].images, b->e[i].nimages);
		strbuf_release(&b->e[i].search);
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
	templates_free(b->templates);
	manifest_release(&b->old);
	archive_pageset_release(&b->old_pages);
	archive_cache_release(&b->cache);
	strbuf_release(&b->new_cache);
}

/* The archive's templates, each file read hashed into b->tmpl_hash. */
static int compile_templates(struct build *b)
{
	b->templates = templates_new(b->cfg->templates_dir);
	templates_on_file(b->templates, hash_template, b);
	if (!(b->t_index = templates_compile(b->templates, "archive-index.html", TMPL_ESCAPE_HTML)) ||
	    !(b->t_issue = templates_compile(b->templates, "archive-issue.html", TMPL_ESCAPE_HTML)) ||
	    !(b->t_tag = templates_compile(b->templates, "archive-tag.html", TMPL_ESCAPE_HTML)) ||
	    !(b->t_feed = templates_compile(b->templates, "feed.xml", TMPL_ESCAPE_HTML)))
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
	for (i = 0; i < ARRAY_SIZE(files) && !r; i++) {
		strbuf_reset(&src);
		r = templates_read(b.templates, files[i], &src, &path);
	}
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
	struct strbuf sub = STRBUF_INIT, cache = STRBUF_INIT;
	int r = -1, lock_fd = -1;
	char *slash;

	b.cfg = cfg;
	archive_cache_path(&cache, cfg->database);
	strbuf_init(&b.new_cache, 0);
	/* Without trailing slashes, so "<out>.new-XXXXXX" lands beside it. */
	strbuf_addstr(&out, out_dir);
	while (out.len > 1 && out.buf[out.len - 1] == '/')
		strbuf_setlen(&out, out.len - 1);
	if (!out.len)
		strbuf_addch(&out, '.');
	{
		/*
		 * A symlink (public -> /var/www/news) is followed: the swap
		 * renames beside the real directory, which a web server may be
		 * serving; renaming the link instead would move the live
		 * site's pages away through it and leave the link's target
		 * half emptied.
		 */
		struct stat lst;
		char *real;

		if (lstat(out.buf, &lst) == 0 && S_ISLNK(lst.st_mode) &&
		    (real = realpath(out.buf, NULL))) {
			strbuf_reset(&out);
			strbuf_addstr(&out, real);
			free(real);
		}
	}

	b.tmpl_hash = fnv64_str(FNV64_INIT, NEWSBEAT_VERSION);
	/* What the code puts into pages and search records: bumped when that changes. */
	b.tmpl_hash = fnv64_str(b.tmpl_hash, ARCHIVE_OUTPUT_FORMAT);
	b.tmpl_hash = fnv64_str(b.tmpl_hash, cfg->name);
	b.tmpl_hash = fnv64_str(b.tmpl_hash, cfg->base_url);
	b.tmpl_hash = fnv64_str(b.tmpl_hash, cfg->language);
	b.tmpl_hash = fnv64_str(b.tmpl_hash, cfg->list_id);
	if (compile_templates(&b) < 0)
		goto out;
	tmpl_each_name(b.t_issue, archive_note_neighbour_field, b.neighbour_fields);
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
	if (archive_swap_recover(out.buf) < 0 || archive_swap_check_out(out.buf) < 0)
		goto out;
	b.old_dir = out.buf;
	b.started = time(NULL);
	manifest_read(&b.old, out.buf);
	archive_cache_read(&b.cache, cache.buf);
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
	if (archive_swap_mark(tmp.buf) < 0) {
		remove_tree(tmp.buf);
		goto out;
	}
	b.dir = tmp.buf;
	strbuf_reset(&sub);
	path_join(&sub, tmp.buf, "issues");
	if (mkdir_p(sub.buf, 0755) < 0)
		goto fail;
	strbuf_reset(&sub);
	path_join(&sub, tmp.buf, "tags");
	if (b.ntags && mkdir_p(sub.buf, 0755) < 0)
		goto fail;

	if (archive_build_issue_pages(&b, &st) < 0 ||
	    archive_build_index(&b, &manifest) < 0 || archive_build_tag_pages(&b, &manifest) < 0 ||
	    archive_build_feed(&b, now, &manifest) < 0 || archive_build_sitemap(&b) < 0 ||
	    archive_build_search_index(&b, &manifest) < 0 || copy_static(&b) < 0 ||
	    archive_write_out(&b, ARCHIVE_MANIFEST, &manifest) < 0)
		goto fail;
	/*
	 * Before the swap, so that a cache that cannot be written fails the
	 * build while the previous archive is still untouched.  It describes
	 * the issue files this build read, which holds whether or not the
	 * swap then succeeds (rows are checked against each file's stat).
	 */
	if (archive_cache_write(cache.buf, &b.new_cache) < 0 ||
	    swap_in(&b, tmp.buf, out.buf) < 0)
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
	strbuf_release(&cache);
	return r;
}
