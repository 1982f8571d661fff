/*
 * The pages that list issues: the index (paged), one page per tag, the
 * Atom feed and the sitemap; each reused when what it shows is unchanged.
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

#include <time.h>

#define FEED_ENTRIES 20

static uint64_t summary_hash(uint64_t h, const struct entry *e)
{
	size_t k;

	h = fnv64_str(h, e->slug);
	h = fnv64_str(h, e->is.title);
	h = fnv64_str(h, e->is.date);
	h = fnv64_str(h, e->is.preheader);
	for (k = 0; k < e->is.ntags; k++)
		h = fnv64_str(h, e->is.tags[k]);
	return fnv64(h, &e->is.ntags, sizeof(e->is.ntags));
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
	if (archive_manifest_has(&b->old, key, h)) {
		path_join(&from, b->old_dir, name);
		path_join(&to, b->dir, name);
		reused = link_or_copy_file(from.buf, to.buf, 0644) == 0;
	}
	strbuf_release(&from);
	strbuf_release(&to);
	return reused;
}

int archive_build_index(struct build *b, struct strbuf *manifest)
{
	struct tval *global = archive_ctx_global(b, ""), *ctx = tval_object();
	struct tval *years = tval_list(), *year = NULL, *list = NULL, *tags;
	struct strbuf page = STRBUF_INIT;
	const struct tval *stack[2];
	int cur = 0, r;
	size_t i;
	uint64_t h = fnv64_str(b->tmpl_hash, "index");

	for (i = 0; i < b->n; i++)
		h = summary_hash(h, &b->e[i]);
	h = fnv64(h, &b->n, sizeof(b->n));
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
		tval_push(list, archive_ctx_summary(&b->e[i], ""));
	}
	tval_set(ctx, "years", years);
	archive_set_count(ctx, b->n);
	archive_set_clean(ctx, "page_url", b->cfg->base_url);
	if (b->ntags) {
		tags = tval_list();
		for (i = 0; i < b->ntags; i++) {
			struct tval *t = tval_object();
			struct strbuf u = STRBUF_INIT;

			archive_set_clean(t, "name", b->tags[i].name);
			archive_tag_url("", b->tags[i].slug, &u);
			tval_set_str(t, "url", u.buf);
			archive_set_count(t, b->tags[i].n);
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
		r = archive_write_out(b, "index.html", &page);
	tval_free(global);
	tval_free(ctx);
	strbuf_release(&page);
	return r;
}

int archive_build_tag_pages(struct build *b, struct strbuf *manifest)
{
	struct tval *global = archive_ctx_global(b, "../");
	struct strbuf page = STRBUF_INIT, name = STRBUF_INIT, key = STRBUF_INIT;
	size_t i, k;
	int r = 0;

	for (i = 0; i < b->ntags && !r; i++) {
		struct tval *ctx, *list, *tag;
		const struct tval *stack[2];
		uint64_t h = fnv64_str(fnv64_str(b->tmpl_hash, "tag"), b->tags[i].slug);

		h = fnv64_str(h, b->tags[i].name);
		for (k = 0; k < b->tags[i].n; k++)
			h = summary_hash(h, &b->e[b->tags[i].entries[k]]);
		h = fnv64(h, &b->tags[i].n, sizeof(b->tags[i].n));
		strbuf_reset(&name);
		archive_tag_url("", b->tags[i].slug, &name);
		/* A key without spaces, whatever the slug's length. */
		strbuf_reset(&key);
		strbuf_addf(&key, "@tag-%016llx",
			    (unsigned long long)fnv64_str(FNV64_INIT, b->tags[i].slug));
		if (reuse_output(b, name.buf, key.buf, h, manifest))
			continue;
		ctx = tval_object();
		list = tval_list();
		tag = tval_object();

		archive_set_clean(tag, "name", b->tags[i].name);
		tval_set_str(tag, "slug", b->tags[i].slug);
		archive_set_count(tag, b->tags[i].n);
		strbuf_reset(&page);
		archive_tag_url(b->cfg->base_url, b->tags[i].slug, &page);
		archive_set_clean(tag, "web_url", page.buf);
		archive_set_clean(ctx, "page_url", page.buf);
		tval_set(ctx, "tag", tag);
		for (k = 0; k < b->tags[i].n; k++)
			tval_push(list, archive_ctx_summary(&b->e[b->tags[i].entries[k]], "../"));
		tval_set(ctx, "issues", list);
		stack[0] = global;
		stack[1] = ctx;
		strbuf_reset(&page);
		r = tmpl_render(b->t_tag, stack, 2, &page);
		if (r == 0)
			r = archive_write_out(b, name.buf, &page);
		tval_free(ctx);
	}
	tval_free(global);
	strbuf_release(&page);
	strbuf_release(&name);
	strbuf_release(&key);
	return r;
}

/* What the feed is made of: templates, config, and its entries' sources and images. */
static uint64_t feed_hash(const struct build *b, time_t now)
{
	uint64_t h = fnv64_str(b->tmpl_hash, "feed");
	size_t i;

	if (!b->n)	/* then its <updated> is now */
		h = fnv64(h, &now, sizeof(now));
	for (i = 0; i < b->n && i < FEED_ENTRIES; i++) {
		h = fnv64_str(h, b->e[i].slug);
		h = fnv64(h, &b->e[i].src_hash, sizeof(b->e[i].src_hash));
		if (b->e[i].nimages)
			h = fnv64(h, &b->e[i].images_hash, sizeof(b->e[i].images_hash));
	}
	return h;
}

/* RFC 4287: content in full for the newest FEED_ENTRIES issues. */
int archive_build_feed(struct build *b, time_t now, struct strbuf *manifest)
{
	struct tval *global, *ctx, *list;
	struct strbuf page = STRBUF_INIT, sb = STRBUF_INIT;
	const struct tval *stack[2];
	uint64_t h = feed_hash(b, now);
	size_t i;
	int r = 0;

	strbuf_addf(manifest, "@feed %016llx\n", (unsigned long long)h);
	if (archive_manifest_has(&b->old, "@feed", h)) {
		strbuf_addf(&sb, "%s/feed.xml", b->old_dir);
		strbuf_addf(&page, "%s/feed.xml", b->dir);
		r = link_or_copy_file(sb.buf, page.buf, 0644);
		strbuf_release(&sb);
		strbuf_release(&page);
		if (!r)
			return 0;
	}
	global = archive_ctx_global(b, "");
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

		r = archive_entry_load(&b->e[i]);
		if (r < 0)
			break;
		v = archive_ctx_summary(&b->e[i], "");

		strbuf_reset(&sb);
		strbuf_addf(&sb, "%sT00:00:00Z", b->e[i].is.date);
		tval_set_str(v, "updated", sb.buf);
		strbuf_reset(&sb);
		r = archive_render_content(b, &b->e[i], global, &sb);
		tval_set(v, "content", tval_string_n(sb.buf, sb.len));
		tval_push(list, v);
	}
	tval_set(ctx, "entries", list);
	stack[0] = global;
	stack[1] = ctx;
	if (!r) {
		r = tmpl_render(b->t_feed, stack, 2, &page);
		if (r == 0)
			r = archive_write_out(b, "feed.xml", &page);
	}
	tval_free(global);
	tval_free(ctx);
	strbuf_release(&page);
	strbuf_release(&sb);
	return r;
}

/* https://www.sitemaps.org/protocol.html — generated, no template needed. */
int archive_build_sitemap(struct build *b)
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
		archive_tag_url(b->cfg->base_url, b->tags[i].slug, &u);
		strbuf_addstr(&x, "<url><loc>");
		strbuf_add_html_escaped(&x, u.buf, u.len);
		strbuf_addstr(&x, "</loc></url>\n");
	}
	strbuf_addstr(&x, "</urlset>\n");
	r = archive_write_out(b, "sitemap.xml", &x);
	strbuf_release(&x);
	strbuf_release(&u);
	return r;
}
