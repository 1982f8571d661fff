/*
 * The issue pages: which need rendering (their inputs' hash against the
 * previous manifest), and the worker threads that render them.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/fsutil.h"
#include "base/hash.h"
#include "base/config.h"
#include "core/issue.h"
#include "core/markdown.h"
#include "core/tmpl.h"
#include "archive/archive.h"
#include "archive/archive_internal.h"

#include <pthread.h>
#include <unistd.h>

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
void archive_note_neighbour_field(void *data, const char *name, const char *const *sections, size_t n)
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

	h = fnv64_str(h, e ? e->slug : "");
	h = fnv64_str(h, e ? e->is.title : "");
	if (!e)
		return h;
	if (used & NB_NUMBER)
		h = fnv64(h, &e->is.number, sizeof(e->is.number));
	if (used & NB_DATE)
		h = fnv64_str(h, e->is.date);
	if (used & NB_PREHEADER)
		h = fnv64_str(h, e->is.preheader);
	if (used & NB_TAGS) {
		h = fnv64(h, &e->is.ntags, sizeof(e->is.ntags));
		for (k = 0; k < e->is.ntags; k++)
			h = fnv64_str(fnv64_str(h, e->is.tags[k]), e->tag_slugs[k]);
	}
	return h;
}

static uint64_t page_hash(const struct build *b, size_t i)
{
	uint64_t h = fnv64(b->tmpl_hash, &b->e[i].src_hash, sizeof(b->e[i].src_hash));

	if (b->e[i].nimages)
		h = fnv64(h, &b->e[i].images_hash, sizeof(b->e[i].images_hash));
	/* Newest first: the next (newer) issue is i - 1, the previous is i + 1. */
	h = neighbour_hash(h, b->neighbour_fields[0], i > 0 ? &b->e[i - 1] : NULL);
	return neighbour_hash(h, b->neighbour_fields[1], i + 1 < b->n ? &b->e[i + 1] : NULL);
}

/* A page's meta description: about what search engines show. */
#define DESCRIPTION_MAX 160

/* The preheader, or else the start of the text, cut at a space. */
static void page_description(const struct entry *e, const struct strbuf *text,
			     struct strbuf *out)
{
	size_t cut;

	if (e->is.preheader && *e->is.preheader) {
		archive_xml_clean(out, e->is.preheader, strlen(e->is.preheader));
		return;
	}
	if (text->len <= DESCRIPTION_MAX) {
		strbuf_addbuf(out, text);
		return;
	}
	for (cut = DESCRIPTION_MAX; cut > 0 && text->buf[cut] != ' '; cut--)
		;
	if (!cut)	/* one long word: cut before a UTF-8 continuation byte */
		for (cut = DESCRIPTION_MAX; cut > 0 && (text->buf[cut] & 0xC0) == 0x80; cut--)
			;
	strbuf_add(out, text->buf, cut);
	strbuf_addstr(out, "\xe2\x80\xa6");
}

/* The page of b->e[i], and its search record into e->search. */
static int build_issue_page(struct build *b, size_t i, const struct tval *global)
{
	struct entry *e = &b->e[i];
	struct tval *ctx = tval_object(), *issue;
	struct strbuf content = STRBUF_INIT, page = STRBUF_INIT, name = STRBUF_INIT;
	struct strbuf text = STRBUF_INIT, desc = STRBUF_INIT;
	const struct tval *stack[2];
	int r;

	r = archive_render_content(b, e, global, &content);
	if (r < 0)
		goto out;
	archive_content_text(&content, &text);
	strbuf_reset(&e->search);
	archive_search_record(e, &text, &e->search);
	page_description(e, &text, &desc);
	issue = archive_ctx_summary(e, "../");
	tval_set(issue, "description", tval_string_n(desc.buf, desc.len));
	tval_set(ctx, "issue", issue);
	archive_set_clean(ctx, "page_url", e->web_url);
	tval_set(ctx, "content", tval_string_n(content.buf, content.len));
	/* Newest first: the next (newer) issue is i - 1, the previous is i + 1. */
	if (i > 0)
		tval_set(ctx, "next", archive_ctx_summary(&b->e[i - 1], "../"));
	if (i + 1 < b->n)
		tval_set(ctx, "previous", archive_ctx_summary(&b->e[i + 1], "../"));
	stack[0] = global;
	stack[1] = ctx;
	/* A template that never ends is an error (tmpl.h), never a cut-off page. */
	r = tmpl_render(b->t_issue, stack, 2, &page);
	if (r < 0)
		goto out;
	strbuf_addf(&name, "issues/%s.html", e->slug);
	r = archive_write_out(b, name.buf, &page);
out:
	tval_free(ctx);
	strbuf_release(&content);
	strbuf_release(&page);
	strbuf_release(&name);
	strbuf_release(&text);
	strbuf_release(&desc);
	return r;
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
			j->r = archive_entry_load(&j->b->e[i]);
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
int archive_build_issue_pages(struct build *b, struct archive_stats *st)
{
	struct tval *global = archive_ctx_global(b, "../");
	struct strbuf name = STRBUF_INIT;
	size_t i, nthreads;
	int r;

	archive_pageset_read(&b->old_pages, b->old_dir);
	for (i = 0; i < b->n; i++) {
		struct entry *e = &b->e[i];

		e->page_hash = page_hash(b, i);
		strbuf_reset(&name);
		strbuf_addf(&name, "%s.html", e->slug);
		/* A missing old page is simply rendered again. */
		if (archive_manifest_has(&b->old, e->slug, e->page_hash) &&
		    archive_pageset_has(&b->old_pages, name.buf))
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

/* What a list of issues shows of each (archive_ctx_summary): not the body. */
