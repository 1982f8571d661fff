/*
 * Personalization: the per-issue work once (compose_prepare), the
 * per-recipient work many times (compose_message).  See compose.h.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/config.h"
#include "core/issue.h"
#include "core/markdown.h"
#include "core/tmpl.h"
#include "core/templates.h"
#include "core/mime.h"
#include "core/token.h"
#include "core/compose.h"
#include "core/address.h"
#include "base/utf8.h"

#include <time.h>

/* Used when no secret is configured: previews and the Maildir outbox only. */
#define DEV_SECRET "newsbeat-development-secret-not-for-production"

#define TEXT_WIDTH 72

struct compose {
	const struct config *cfg;
	const struct issue *is;
	char *secret;
	char *subject;
	char *web_url;
	char *from_name, *from_addr;	/* split and validated (address.h) */
	char *mailto_addr;	/* unsubscribe_mailto, or the From address */
	struct tmpl *content_html, *content_text;	/* the body, as templates */
	struct tmpl *email_html, *email_text;
	struct tval *global;	/* newsletter.*, issue.*, archive_url, ... */
	struct templates *templates;	/* email_* come from there; outlives them */
};

int compose_message_id(const char *local, const char *from_addr, struct strbuf *out)
{
	const char *at = strrchr(from_addr, '@');

	if (local)
		strbuf_addstr(out, local);
	else if (token_random_alnum(24, out) < 0)
		return -1;
	strbuf_addf(out, "@%s", at ? at + 1 : "localhost");
	return 0;
}

static const char *const months[] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December",
};

static struct tval *build_global(const struct compose *c)
{
	const struct config *cfg = c->cfg;
	const struct issue *is = c->is;
	struct tval *g = tval_object(), *nl = tval_object(), *iv = tval_object();
	struct strbuf sb = STRBUF_INIT;
	size_t w;

	tval_set_str(nl, "name", cfg->name);
	tval_set_str(nl, "from", cfg->from);
	tval_set_str(nl, "from_name", *c->from_name ? c->from_name : cfg->name);
	tval_set_str(nl, "from_address", c->from_addr);
	tval_set_str(nl, "base_url", cfg->base_url);
	tval_set_str(nl, "list_id", cfg->list_id);
	tval_set_str(nl, "language", cfg->language);
	tval_set(g, "newsletter", nl);

	tval_set_str(iv, "title", is->title);
	tval_set(iv, "number", tval_number(is->number));
	tval_set_str(iv, "date", is->date);
	strbuf_addf(&sb, "%d %s %d", is->day, months[(is->month - 1) % 12], is->year);
	tval_set_str(iv, "date_long", sb.buf);
	tval_set_str(iv, "subject", c->subject);
	tval_set_str(iv, "preheader", is->preheader ? is->preheader : "");
	tval_set_str(iv, "web_url", c->web_url);
	strbuf_reset(&sb);
	issue_slug(is, &sb);
	tval_set_str(iv, "slug", sb.buf);
	strbuf_reset(&sb);
	strbuf_addstr(&sb, is->title);
	strbuf_addch(&sb, '\n');
	w = utf8_width(is->title, strlen(is->title));
	strbuf_addchars(&sb, '=', w > TEXT_WIDTH ? TEXT_WIDTH : w);
	tval_set_str(iv, "title_underlined", sb.buf);
	tval_set(g, "issue", iv);

	tval_set_str(g, "archive_url", cfg->base_url);
	strbuf_reset(&sb);
	strbuf_addf(&sb, "%ssubscribe", cfg->base_url);
	tval_set_str(g, "subscribe_url", sb.buf);
	strbuf_release(&sb);
	return g;
}

static struct tval *recipient_context(const struct compose *c,
				      const struct compose_recipient *r,
				      struct strbuf *token, struct strbuf *url);

/*
 * Fill email.html and email.txt for one recipient context: the HTML part
 * into html, the text part into text.  Returns 0, or -1 after error()
 * (FILE:LINE) when a template's expansion never ends; the output is then
 * incomplete and must not be sent.
 */
static int render_parts(const struct compose *c, struct tval *ctx, struct strbuf *html,
			struct strbuf *text, tmpl_missing_fn missing, void *missing_data)
{
	const struct tval *stack[2] = { c->global, ctx };

	tval_set(ctx, "content", tval_template(c->content_html));
	if (tmpl_render_ex(c->email_html, stack, 2, html, missing, missing_data) < 0)
		return -1;
	tval_set(ctx, "content", tval_template(c->content_text));
	return tmpl_render_ex(c->email_text, stack, 2, text, missing, missing_data);
}

/*
 * One whole message for a sample recipient, built as every recipient's is
 * (every template, every header, the "[TEST] " prefix of the longest
 * subject), so that whatever would make each message fail (a template
 * that never ends, a header value the builder refuses) fails prepare,
 * before anything is sent, rather than every recipient's message.
 */
static int render_sample(const struct compose *c)
{
	struct compose_recipient r = { "reader@example.org", "Sample Reader", NULL, 0, NULL, NULL, NULL };
	struct strbuf eml = STRBUF_INIT;
	struct compose_output out = { &eml, NULL, NULL, NULL };
	int ret = compose_message(c, &r, 0, "=_SampleBoundary0123456789abcdefgh", "[TEST] ", &out);

	strbuf_release(&eml);
	if (ret < 0)
		return error("no message of this issue can be built (see above); nothing was sent");
	return 0;
}

struct compose *compose_new(const struct config *cfg, const struct issue *is, const char *secret,
			    const struct image_map *images, struct compose_templates *t)
{
	struct compose *c = xcalloc(1, sizeof(*c));
	struct tmpl_options html_opts = { TMPL_ESCAPE_HTML, NULL, NULL, 0 };
	struct tmpl_options text_opts = { TMPL_ESCAPE_NONE, NULL, NULL, 0 };
	struct strbuf sb = STRBUF_INIT;
	struct markdown *md;

	c->cfg = cfg;
	c->is = is;
	c->templates = t->set;
	c->email_html = t->html;
	c->email_text = t->text;
	memset(t, 0, sizeof(*t));
	c->secret = xstrdup(secret ? secret : DEV_SECRET);
	c->subject = issue_subject(is, cfg->name);
	strbuf_addstr(&sb, cfg->base_url);
	strbuf_addstr(&sb, "issues/");
	issue_slug(is, &sb);
	strbuf_addstr(&sb, ".html");
	c->web_url = strbuf_detach(&sb, NULL);

	{
		struct strbuf name = STRBUF_INIT, addr = STRBUF_INIT;
		const char *why;

		if (address_split_mailbox(cfg->from, &name, &addr, &why) < 0) {
			error("%s: [newsletter] from: '%s' is not one mailbox: %s",
			      *cfg->file ? cfg->file : "built-in default", cfg->from, why);
			strbuf_release(&name);
			strbuf_release(&addr);
			goto fail;
		}
		c->from_name = strbuf_detach(&name, NULL);
		c->from_addr = strbuf_detach(&addr, NULL);
	}
	/* The mailto of List-Unsubscribe defaults to the From address. */
	c->mailto_addr = xstrdup(*cfg->unsubscribe_mailto ? cfg->unsubscribe_mailto : c->from_addr);

	/*
	 * Template syntax errors in the body are reported against the Markdown
	 * file's own lines: compile it once as written (padded so line numbers
	 * match the file) before it becomes HTML and text.
	 */
	{
		struct tmpl *probe;

		strbuf_addchars(&sb, '\n', is->body_line > 1 ? (size_t)is->body_line - 1 : 0);
		strbuf_add(&sb, is->body, is->body_len);
		probe = tmpl_compile(is->path, sb.buf, sb.len, &text_opts);
		strbuf_release(&sb);
		if (!probe)
			goto fail;
		tmpl_free(probe);
	}

	/* Markdown is parsed and rendered once per issue. */
	md = markdown_parse(is->body, is->body_len);
	markdown_set_images(md, images);
	markdown_render_html(md, &sb);
	c->content_html = tmpl_compile(is->path, sb.buf, sb.len, &html_opts);
	strbuf_reset(&sb);
	markdown_render_text(md, TEXT_WIDTH, &sb);
	c->content_text = tmpl_compile(is->path, sb.buf, sb.len, &text_opts);
	strbuf_release(&sb);
	markdown_free(md);
	if (!c->content_html || !c->content_text)
		goto fail;

	if (!c->email_html || !c->email_text)
		goto fail;
	c->global = build_global(c);
	if (render_sample(c) < 0)
		goto fail;
	return c;
fail:
	compose_free(c);
	return NULL;
}

void compose_free(struct compose *c)
{
	if (!c)
		return;
	tmpl_free(c->content_html);
	tmpl_free(c->content_text);
	tmpl_free(c->email_html);
	tmpl_free(c->email_text);
	tval_free(c->global);
	free(c->secret);
	free(c->subject);
	free(c->web_url);
	free(c->from_name);
	free(c->from_addr);
	free(c->mailto_addr);
	templates_free(c->templates);
	free(c);
}

const char *compose_subject(const struct compose *c)
{
	return c->subject;
}

const char *compose_web_url(const struct compose *c)
{
	return c->web_url;
}

/*
 * The per-recipient context: subscriber.*, unsubscribe_url (also appended
 * to url for the List-Unsubscribe header; token receives the bare token).
 */
static struct tval *recipient_context(const struct compose *c,
				      const struct compose_recipient *r,
				      struct strbuf *token, struct strbuf *url)
{
	struct tval *ctx = tval_object(), *sub = tval_object();
	const char *list = r->list && *r->list ? r->list : c->cfg->default_list;
	size_t i;

	for (i = 0; i < r->nattrs; i++)
		tval_set_str(sub, r->attr_keys[i], r->attr_values[i]);
	tval_set_str(sub, "email", r->email);
	if (r->name && *r->name)
		tval_set_str(sub, "name", r->name);
	tval_set_str(sub, "list", list);
	tval_set(ctx, "subscriber", sub);

	token_make(c->secret, TOKEN_UNSUBSCRIBE, r->email, list, token);
	strbuf_addf(url, "%sunsubscribe?t=%s", c->cfg->base_url, token->buf);
	tval_set_str(ctx, "unsubscribe_url", url->buf);
	return ctx;
}

int compose_message(const struct compose *c, const struct compose_recipient *r,
		    time_t date, const char *boundary, const char *subject_prefix,
		    const struct compose_output *out)
{
	struct strbuf html = STRBUF_INIT, text = STRBUF_INIT, token = STRBUF_INIT;
	struct strbuf msgid = STRBUF_INIT, subject = STRBUF_INIT, unsub = STRBUF_INIT;
	struct strbuf mailto = STRBUF_INIT;
	struct tval *ctx = recipient_context(c, r, &token, &unsub);
	struct mime_message m;
	int ret = 0;

	if (render_parts(c, ctx, &html, &text, NULL, NULL) < 0) {
		ret = error("cannot build the message for '%s'", r->email);
		goto out;
	}

	{
		struct strbuf local = STRBUF_INIT;

		if (r->message_id_local)
			strbuf_addstr(&local, r->message_id_local);
		else
			token_message_id(c->secret, c->is->number, r->email, &local);
		compose_message_id(local.buf, c->from_addr, &msgid);
		strbuf_release(&local);
	}
	if (subject_prefix)
		strbuf_addstr(&subject, subject_prefix);
	strbuf_addstr(&subject, c->subject);
	/* RFC 2369 §2: the mailto form; a mailbox reader matches the token in the subject. */
	strbuf_addf(&mailto, "mailto:%s?subject=unsubscribe%%20%s", c->mailto_addr, token.buf);

	memset(&m, 0, sizeof(m));
	m.from_name = c->from_name;
	m.from_addr = c->from_addr;
	m.to_name = r->name;
	m.to_addr = r->email;
	m.subject = subject.buf;
	m.date = date;
	m.message_id = msgid.buf;
	m.boundary = boundary;
	m.list_id = c->cfg->list_id;
	m.list_name = c->cfg->name;
	m.unsubscribe_url = unsub.buf;
	m.unsubscribe_mailto = mailto.buf;
	m.archive_url = c->cfg->base_url;
	m.archived_at = c->web_url;
	m.precedence = "bulk";
	m.text = text.buf;
	m.text_len = text.len;
	m.html = html.buf;
	m.html_len = html.len;
	if (out->eml && mime_build(&m, out->eml) < 0)
		ret = error("cannot build the message for '%s'", r->email);
	if (out->html)
		strbuf_addbuf(out->html, &html);
	if (out->text)
		strbuf_addbuf(out->text, &text);
	if (out->message_id)
		strbuf_addbuf(out->message_id, &msgid);
out:
	tval_free(ctx);
	strbuf_release(&html);
	strbuf_release(&text);
	strbuf_release(&token);
	strbuf_release(&msgid);
	strbuf_release(&subject);
	strbuf_release(&unsub);
	strbuf_release(&mailto);
	return ret;
}

struct unfilled_ctx {
	void (*fn)(void *data, const char *name, const char *where, int line);
	void *data;
};

static void on_missing(void *data, const char *name, const char *tmpl_name, int line)
{
	struct unfilled_ctx *u = data;

	u->fn(u->data, name, tmpl_name, line);
}

void compose_each_unfilled(const struct compose *c,
			   void (*fn)(void *data, const char *name, const char *where, int line),
			   void *data)
{
	struct compose_recipient r = { "reader@example.org", "Sample Reader", NULL, 0, NULL, NULL, NULL };
	struct strbuf out = STRBUF_INIT, token = STRBUF_INIT, url = STRBUF_INIT;
	struct tval *ctx = recipient_context(c, &r, &token, &url);
	struct unfilled_ctx u = { fn, data };

	/*
	 * The body is reached through {{{content}}}, as in compose_message.
	 * The same sample rendered in compose_prepare, so this does not fail
	 * (and a failure would have been reported by error() already).
	 */
	render_parts(c, ctx, &out, &out, on_missing, &u);
	tval_free(ctx);
	strbuf_release(&out);
	strbuf_release(&token);
	strbuf_release(&url);
}
