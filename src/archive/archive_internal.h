#ifndef ARCHIVE_INTERNAL_H
#define ARCHIVE_INTERNAL_H
/*
 * Shared by the archive's files: one build's state, and the steps
 * archive_build() runs in order.  Each step reports with error() and
 * returns -1.
 */
#include <stdint.h>
#include <time.h>

#include "base/strbuf.h"
#include "core/issue.h"
#include "archive/archive_cache.h"
#include "archive/archive_swap.h"

struct templates;
struct tmpl;
struct tval;
struct archive_stats;

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
	char **images;		/* its local images' files (archive_images_files) */
	size_t nimages;
	uint64_t images_hash;	/* of those files' stat: replacing one changes it */
	size_t s_off, s_len;	/* its record in the new search-index.js */
	struct strbuf search;	/* its record, made with its page (empty if not rendered) */
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
	struct templates *templates;	/* what t_* were compiled from; outlives them */
	struct tmpl *t_index, *t_issue, *t_tag, *t_feed;
	uint64_t tmpl_hash;	/* templates + config values + version */
	unsigned neighbour_fields[2];	/* NB_* the issue template shows of next, previous */
	const char *old_dir;	/* the previous archive (may not exist) */
	struct manifest old;	/* its manifest */
	struct archive_cache cache;	/* its build cache */
	struct strbuf new_cache;	/* this build's */
	time_t started;		/* real time, for the cache's racy check */
	struct archive_pageset old_pages;	/* in the previous issues/ */
};

/* Write data to <build dir>/name (plain: the whole directory is swapped in later). */
int archive_write_out(const struct build *b, const char *name, const struct strbuf *data);

/* The previous build's manifest row for slug, or NULL; 1 if it has slug with hash. */
const struct manifest_row *archive_manifest_get(const struct manifest *m, const char *slug);
int archive_manifest_has(const struct manifest *m, const char *slug, uint64_t hash);

/* Load e's body when only its front matter came from the cache. */
int archive_entry_load(struct entry *e);

/* Template contexts (archive_context.c); root is the way up to the archive root. */
void archive_set_clean(struct tval *obj, const char *key, const char *s);
/* obj.count = n and obj.count_text = "1 issue" / "3 issues": what lists say of their length. */
void archive_set_count(struct tval *obj, size_t n);
/* "27 November 2026": the date as every page and the search results show it. */
void archive_date_long(const struct entry *e, struct strbuf *out);
/* root + "tags/<slug>.html" (root base_url, or "" / "../" for the relative form). */
void archive_tag_url(const char *root, const char *slug, struct strbuf *out);
struct tval *archive_ctx_global(const struct build *b, const char *root);
struct tval *archive_ctx_summary(const struct entry *e, const char *root);
int archive_render_content(const struct build *b, const struct entry *e,
			   const struct tval *global, struct strbuf *out);

/* tmpl_each_name() callback: note which neighbour fields the issue template shows. */
void archive_note_neighbour_field(void *data, const char *name, const char *const *sections,
				  size_t n);

/* The search text of an issue body as its page shows it (archive_render_content's HTML). */
void archive_content_text(const struct strbuf *content, struct strbuf *out);
/* One issue's record of the search index (see archive_search.c), appended to js. */
void archive_search_record(const struct entry *e, const struct strbuf *text, struct strbuf *js);

/* The build's steps, in order. */
int archive_build_issue_pages(struct build *b, struct archive_stats *st);
int archive_build_index(struct build *b, struct strbuf *manifest);
int archive_build_tag_pages(struct build *b, struct strbuf *manifest);
int archive_build_feed(struct build *b, time_t now, struct strbuf *manifest);
int archive_build_sitemap(struct build *b);
int archive_build_search_index(struct build *b, struct strbuf *manifest);

#endif
