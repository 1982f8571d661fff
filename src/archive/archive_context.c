/*
 * What the archive's templates see: the newsletter, an issue's summary,
 * an issue's body rendered for the web.
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
#include "archive/archive_images.h"
#include "core/image.h"

static const char *const months[] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December",
};

void archive_set_count(struct tval *obj, size_t n)
{
	struct strbuf sb = STRBUF_INIT;

	tval_set(obj, "count", tval_number((double)n));
	strbuf_addf(&sb, "%zu %s", n, n == 1 ? "issue" : "issues");
	tval_set_str(obj, "count_text", sb.buf);
	strbuf_release(&sb);
}

void archive_date_long(const struct entry *e, struct strbuf *out)
{
	strbuf_addf(out, "%d %s %d", e->is.day, months[(e->is.month - 1) % 12], e->is.year);
}

void archive_tag_url(const char *root, const char *slug, struct strbuf *out)
{
	strbuf_addf(out, "%stags/%s.html", root, slug);
}

void archive_set_clean(struct tval *obj, const char *key, const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	archive_xml_clean(&sb, s ? s : "", s ? strlen(s) : 0);
	tval_set(obj, key, tval_string_n(sb.buf, sb.len));
	strbuf_release(&sb);
}

/* newsletter.*, subscribe_url, archive_url, root: shared by every page. */
struct tval *archive_ctx_global(const struct build *b, const char *root)
{
	const struct config *cfg = b->cfg;
	struct tval *g = tval_object(), *nl = tval_object();
	struct strbuf sb = STRBUF_INIT;
	char *p;

	archive_set_clean(nl, "name", cfg->name);
	archive_set_clean(nl, "base_url", cfg->base_url);
	archive_set_clean(nl, "language", *cfg->language ? cfg->language : "en");
	archive_set_clean(nl, "list_id", cfg->list_id);
	tval_set(g, "newsletter", nl);
	tval_set_str(g, "root", root);
	archive_set_clean(g, "archive_url", cfg->base_url);
	strbuf_addf(&sb, "%ssubscribe", cfg->base_url);
	archive_set_clean(g, "subscribe_url", sb.buf);
	/* The archive has no subscriber: an unsubscribe link becomes a subscribe link. */
	archive_set_clean(g, "unsubscribe_url", sb.buf);
	strbuf_reset(&sb);
	strbuf_addf(&sb, "%sfeed.xml", cfg->base_url);
	archive_set_clean(g, "feed_url", sb.buf);
	/* Open Graph writes the language tag "en-GB" as "en_GB". */
	strbuf_reset(&sb);
	strbuf_addstr(&sb, *cfg->language ? cfg->language : "en");
	for (p = sb.buf; *p; p++)
		if (*p == '-')
			*p = '_';
	archive_set_clean(g, "og_locale", sb.buf);
	strbuf_release(&sb);
	return g;
}

/* issue.* as the index, tag pages, the feed and the issue page see it. */
struct tval *archive_ctx_summary(const struct entry *e, const char *root)
{
	struct tval *v = tval_object(), *tags;
	struct strbuf sb = STRBUF_INIT;
	size_t k;

	archive_set_clean(v, "title", e->is.title);
	tval_set(v, "number", tval_number(e->is.number));
	tval_set_str(v, "date", e->is.date);
	archive_date_long(e, &sb);
	tval_set_str(v, "date_long", sb.buf);
	strbuf_reset(&sb);
	archive_set_clean(v, "preheader", e->is.preheader);
	tval_set_str(v, "slug", e->slug);
	archive_set_clean(v, "web_url", e->web_url);
	strbuf_addf(&sb, "%sissues/%s.html", root, e->slug);
	tval_set_str(v, "url", sb.buf);
	/* Always set, so a section never falls back to the page's own tags. */
	tags = tval_list();
	for (k = 0; k < e->is.ntags; k++) {
		struct tval *t = tval_object();

		archive_set_clean(t, "name", e->is.tags[k]);
		strbuf_reset(&sb);
		archive_tag_url(root, e->tag_slugs[k], &sb);
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
int archive_render_content(const struct build *b, const struct entry *e,
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
	tval_set(ctx, "issue", archive_ctx_summary(e, ""));
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
