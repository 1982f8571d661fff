/*
 * The pages `serve` answers with, and the confirmation e-mail: Mustache
 * templates from [paths] templates (page-*.html, confirm-email.*), each
 * falling back to the copy installed with newsbeat, compiled once at
 * start-up and rendered per request.  Pages link only to relative URLs so
 * they work behind a proxy under any path prefix.
 */
#include "base/common.h"
#include "base/config.h"
#include "serve/serve_internal.h"
#include "core/tmpl.h"
#include "core/templates.h"

struct serve_pages {
	struct templates *templates;	/* page and mail come from there; outlives them */
	struct tmpl *page[PAGE__COUNT];
	struct tmpl *mail[MAIL__COUNT];
	struct tval *shared;
	struct strbuf css;
	struct strbuf icon;	/* favicon.svg; empty when the template set has none */
};

static const char *const page_files[PAGE__COUNT] = {
	[PAGE_UNSUBSCRIBE] = "page-unsubscribe.html",
	[PAGE_UNSUBSCRIBED] = "page-unsubscribed.html",
	[PAGE_SUBSCRIBE] = "page-subscribe.html",
	[PAGE_SUBSCRIBE_SENT] = "page-subscribe-sent.html",
	[PAGE_CONFIRM] = "page-confirm.html",
	[PAGE_CONFIRMED] = "page-confirmed.html",
	[PAGE_MESSAGE] = "page-message.html",
};

static const char *const mail_files[MAIL__COUNT] = {
	[MAIL_CONFIRM_TEXT] = "confirm-email.txt",
	[MAIL_CONFIRM_HTML] = "confirm-email.html",
};

struct serve_pages *serve_pages_load(const struct config *cfg)
{
	struct serve_pages *p = xcalloc(1, sizeof(*p));
	struct strbuf path = STRBUF_INIT;
	struct tval *nl;
	size_t i;

	strbuf_init(&p->css, 0);
	strbuf_init(&p->icon, 0);
	p->templates = templates_new(cfg->templates_dir);
	for (i = 0; i < PAGE__COUNT; i++)
		if (!(p->page[i] = templates_compile(p->templates, page_files[i], TMPL_ESCAPE_HTML)))
			goto fail;
	if (!(p->mail[MAIL_CONFIRM_TEXT] = templates_compile(p->templates,
							      mail_files[MAIL_CONFIRM_TEXT],
							      TMPL_ESCAPE_NONE)) ||
	    !(p->mail[MAIL_CONFIRM_HTML] = templates_compile(p->templates,
							      mail_files[MAIL_CONFIRM_HTML],
							      TMPL_ESCAPE_HTML)))
		goto fail;
	if (templates_read(p->templates, "page.css", &p->css, &path))
		goto fail;
	/* Optional, as for the archive: older template sets have no icon. */
	if (templates_read_optional(p->templates, "favicon.svg", &p->icon, &path) < 0)
		goto fail;

	p->shared = tval_object();
	nl = tval_object();
	tval_set_str(nl, "name", cfg->name);
	tval_set_str(nl, "language", *cfg->language ? cfg->language : "en");
	tval_set_str(nl, "base_url", cfg->base_url);
	tval_set(p->shared, "newsletter", nl);
	/* Relative: the pages live at the archive's root. */
	tval_set_str(p->shared, "archive_url", "./");
	tval_set_str(p->shared, "subscribe_url", "subscribe");
	tval_set_str(p->shared, "stylesheet_url", "serve.css");
	if (p->icon.len)
		tval_set_str(p->shared, "icon_url", "serve-icon.svg");
	/*
	 * Render each template once with the shared context alone: one whose
	 * expansion never ends (a partial including itself) stops serve
	 * from starting, with its file:line, instead of failing requests.
	 */
	for (i = 0; i < PAGE__COUNT + MAIL__COUNT; i++) {
		const struct tmpl *t = i < PAGE__COUNT ? p->page[i] : p->mail[i - PAGE__COUNT];
		const struct tval *stack[1] = { p->shared };
		struct strbuf out = STRBUF_INIT;
		int r = tmpl_render(t, stack, 1, &out);

		strbuf_release(&out);
		if (r < 0)
			goto fail;
	}
	strbuf_release(&path);
	return p;
fail:
	strbuf_release(&path);
	serve_pages_free(p);
	return NULL;
}

void serve_pages_free(struct serve_pages *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < PAGE__COUNT; i++)
		tmpl_free(p->page[i]);
	for (i = 0; i < MAIL__COUNT; i++)
		tmpl_free(p->mail[i]);
	tval_free(p->shared);
	strbuf_release(&p->css);
	strbuf_release(&p->icon);
	templates_free(p->templates);
	free(p);
}

void serve_pages_render(const struct serve_pages *p, enum serve_page page,
			const struct tval *ctx, struct serve_reply *r)
{
	const struct tval *stack[2] = { p->shared, ctx };

	strbuf_reset(&r->body);
	r->content_type = "text/html; charset=utf-8";
	if (tmpl_render(p->page[page], stack, ctx ? 2 : 1, &r->body) < 0) {
		/* Not the cut-off page, and not PAGE_MESSAGE: it may be the one. */
		r->status = 500;
		strbuf_reset(&r->body);
		strbuf_addstr(&r->body, "<!DOCTYPE html>\n<title>Internal error</title>\n"
			      "<p>This page could not be rendered.</p>\n");
	}
}

int serve_pages_mail(const struct serve_pages *p, enum serve_mail m,
		     const struct tval *ctx, struct strbuf *out)
{
	const struct tval *stack[2] = { p->shared, ctx };

	return tmpl_render(p->mail[m], stack, ctx ? 2 : 1, out);
}

const struct strbuf *serve_pages_css(const struct serve_pages *p)
{
	return &p->css;
}

const struct strbuf *serve_pages_icon(const struct serve_pages *p)
{
	return &p->icon;
}

void serve_pages_message(const struct serve_pages *p, struct serve_reply *r,
			 int status, const char *title, const char *message)
{
	struct tval *ctx = tval_object();

	tval_set_str(ctx, "title", title);
	tval_set_str(ctx, "message", message);
	r->status = status;
	serve_pages_render(p, PAGE_MESSAGE, ctx, r);
	tval_free(ctx);
}
