/*
 * The dynamic pages: one-click unsubscribe (RFC 8058), subscribe with
 * double opt-in, confirm.  Safe methods never change anything (mail
 * scanners and link previewers fetch every URL in a message, RFC 8058 §4);
 * every change is a POST carrying a token that is verified — in constant
 * time, with no database access — before anything else happens.
 */
#include "base/common.h"
#include "base/clock.h"
#include "core/address.h"
#include "core/compose.h"
#include "core/config_headers.h"
#include "base/config.h"
#include "core/mime.h"
#include "serve/serve_internal.h"
#include "core/tmpl.h"
#include "core/token.h"
#include "deliver/transport.h"


static void method_not_allowed(struct serve_app *app, struct serve_reply *r, const char *allow)
{
	serve_pages_message(app->pages, r, 405, "Method not allowed",
			    "This address only answers to the buttons on its page.");
	r->allow = allow;
}

/*
 * A link refused: the page says so, and the log says why (never the
 * token: it carries the address), so a sysadmin can tell a cut link from
 * a secret that differs from the one send used.
 */
static void bad_link(struct serve_app *app, struct serve_reply *r, const char *link,
		     const char *why)
{
	warning("serve: refused %s link: %s", link, why ? why : "invalid");
	serve_pages_message(app->pages, r, 400, "This link is not valid",
			    "The link may have been cut short or changed on the way. "
			    "Copy the whole link from the e-mail into the address bar, "
			    "or use the link in a more recent e-mail.");
}

static void store_failed(struct serve_app *app, struct serve_reply *r)
{
	serve_pages_message(app->pages, r, 503, "Please try again",
			    "Something went wrong on our side and nothing was changed. "
			    "Please try again in a few minutes.");
	r->retry_after = 60;
}

/* A context with the verified token, the address and the list. */
static struct tval *token_ctx(const char *token, const char *email, const char *list)
{
	struct tval *ctx = tval_object();

	tval_set_str(ctx, "token", token);
	tval_set_str(ctx, "email", email);
	tval_set_str(ctx, "list", list);
	return ctx;
}

void serve_unsubscribe(struct serve_app *app, enum serve_method m, const char *token,
		       const struct serve_form *form, struct serve_reply *r)
{
	char *email = NULL, *list = NULL;
	struct tval *ctx;

	if (m == SERVE_OTHER) {
		method_not_allowed(app, r, "GET, HEAD, POST");
		return;
	}
	if (!token || token_verify(app->secret, TOKEN_UNSUBSCRIBE, token, &email, &list)) {
		bad_link(app, r, "unsubscribe",
			 token_reject_reason(app->secret, TOKEN_UNSUBSCRIBE, token, 0));
		return;
	}
	ctx = token_ctx(token, email, list);
	if (m != SERVE_POST) {
		/* A page with a button; nothing changes on GET. */
		r->status = 200;
		serve_pages_render(app->pages, PAGE_UNSUBSCRIBE, ctx, r);
		goto out;
	}
	/* RFC 8058 §3.1: the POST body must say List-Unsubscribe=One-Click. */
	if (form->invalid || !form->one_click || strcmp(form->one_click, "One-Click")) {
		serve_pages_message(app->pages, r, 400, "Unsubscribe request incomplete",
				    "The request did not contain List-Unsubscribe=One-Click. "
				    "Please use the button on the unsubscribe page.");
		goto out;
	}
	if (serve_store_unsubscribe(app, email, list) < 0) {
		store_failed(app, r);
		goto out;
	}
	r->status = 200;
	serve_pages_render(app->pages, PAGE_UNSUBSCRIBED, ctx, r);
out:
	tval_free(ctx);
	free(email);
	free(list);
}

/* The form again, with a message, the values typed and a status. */
static void subscribe_form(struct serve_app *app, struct serve_reply *r, int status,
			   const char *error_msg, const struct serve_form *form)
{
	struct tval *ctx = tval_object();

	if (error_msg)
		tval_set_str(ctx, "error", error_msg);
	if (form && form->email)
		tval_set_str(ctx, "email", form->email);
	if (form && form->name)
		tval_set_str(ctx, "name", form->name);
	r->status = status;
	serve_pages_render(app->pages, PAGE_SUBSCRIBE, ctx, r);
	tval_free(ctx);
}

/*
 * A fresh transport per message: subscriptions are rare, and an idle SMTP
 * connection would only time out between them.
 */
int serve_send_confirmation(struct serve_app *app, const char *email, const char *list)
{
	const struct config *cfg = app->cfg;
	struct strbuf token = STRBUF_INIT, url = STRBUF_INIT, text = STRBUF_INIT,
		html = STRBUF_INIT, subject = STRBUF_INIT, msgid = STRBUF_INIT,
		boundary = STRBUF_INIT, msg = STRBUF_INIT;
	struct strbuf from_name = STRBUF_INIT, from_addr = STRBUF_INIT, sender = STRBUF_INIT;
	const char *why;
	struct mime_message mm;
	struct transport *t = NULL;
	struct transport_status st;
	struct tval *ctx = NULL;
	int r = -1;

	if (address_split_mailbox(cfg->from, &from_name, &from_addr, &why) < 0) {
		error("[newsletter] from '%s': %s", cfg->from, why);
		goto out;
	}
	token_make_timed(app->secret, TOKEN_CONFIRM, email, list, (int64_t)clock_now(), &token);
	strbuf_addf(&url, "%sconfirm?t=%s", cfg->base_url, token.buf);
	ctx = tval_object();
	tval_set_str(ctx, "confirm_url", url.buf);
	tval_set_str(ctx, "email", email);
	tval_set_str(ctx, "list", list);
	tval_set_str(ctx, "archive_url", cfg->base_url);
	if (serve_pages_mail(app->pages, MAIL_CONFIRM_TEXT, ctx, &text) < 0 ||
	    serve_pages_mail(app->pages, MAIL_CONFIRM_HTML, ctx, &html) < 0)
		goto out;
	strbuf_addf(&subject, "Please confirm your subscription to %s", cfg->name);
	if (compose_message_id(NULL, from_addr.buf, &msgid) < 0 || compose_boundary(&boundary) < 0)
		goto out;

	memset(&mm, 0, sizeof(mm));
	mm.from_name = from_name.buf;
	mm.from_addr = from_addr.buf;
	/* The name came from an unconfirmed form: never put a stranger's
	 * words in the To of mail to someone who has not asked for it. */
	mm.to_name = NULL;
	mm.to_addr = email;
	mm.subject = subject.buf;
	mm.date = clock_now();
	mm.message_id = msgid.buf;
	mm.boundary = boundary.buf;
	mm.text = text.buf;
	mm.text_len = text.len;
	mm.html = html.buf;
	mm.html_len = html.len;
	/* RFC 3834 §5: an automatic reply to a web request. */
	mm.extra_headers = "Auto-Submitted: auto-generated\r\n";
	if (mime_build(&mm, &msg) < 0)
		goto out;
	if (!(t = transport_open(cfg)))
		goto out;
	if (config_envelope_from(cfg, &sender) < 0)
		goto out;
	transport_send(t, sender.buf, email, msg.buf, msg.len, &st);
	if (st.result != TRANSPORT_SENT) {
		error("confirmation e-mail not sent (%s): %s", transport_describe(t), st.reply);
		goto out;
	}
	r = 0;
out:
	transport_close(t);
	tval_free(ctx);
	strbuf_release(&from_name);
	strbuf_release(&from_addr);
	strbuf_release(&sender);
	strbuf_release(&token);
	strbuf_release(&url);
	strbuf_release(&text);
	strbuf_release(&html);
	strbuf_release(&subject);
	strbuf_release(&msgid);
	strbuf_release(&boundary);
	strbuf_release(&msg);
	return r;
}

void serve_subscribe(struct serve_app *app, enum serve_method m, const char *client,
		     const struct serve_form *form, struct serve_reply *r)
{
	struct strbuf email = STRBUF_INIT;
	const char *list = app->cfg->default_list;
	const char *why = NULL, *name;
	unsigned wait;
	struct tval *ctx;
	int want;

	if (m == SERVE_OTHER) {
		method_not_allowed(app, r, "GET, HEAD, POST");
		return;
	}
	if (m != SERVE_POST) {
		subscribe_form(app, r, 200, NULL, NULL);
		return;
	}
	if ((wait = serve_ratelimit_hit(app->subscribe_rl, client, time(NULL)))) {
		serve_pages_message(app->pages, r, 429, "Too many requests",
				    "Please wait a minute before trying again.");
		r->retry_after = wait;
		return;
	}
	if (form->invalid || !form->email || !*form->email) {
		subscribe_form(app, r, 400, "Please enter your e-mail address.", form);
		return;
	}
	if (address_validate(form->email, &email, &why) < 0) {
		struct strbuf msg = STRBUF_INIT;

		strbuf_addf(&msg, "That e-mail address does not look right: %s.", why);
		subscribe_form(app, r, 400, msg.buf, form);
		strbuf_release(&msg);
		strbuf_release(&email);	/* the validator may have begun it */
		return;
	}
	name = form->name ? form->name : "";
	if (address_check_name(name, &why) < 0 || strlen(name) > 200) {
		struct strbuf msg = STRBUF_INIT;

		/* The one name rule (address.h): UTF-8, no C0/C1 controls. */
		if (strlen(name) > 200)
			strbuf_addstr(&msg, "Please shorten the name to one line.");
		else
			strbuf_addf(&msg, "Please check the name: %s.", why);
		subscribe_form(app, r, 400, msg.buf, form);
		strbuf_release(&msg);
		strbuf_release(&email);
		return;
	}
	/* The honeypot field is hidden from people; a bot that fills it gets the same page. */
	if (!form->website || !*form->website) {
		want = serve_store_subscribe(app, email.buf, name, list, (int64_t)clock_now());
		if (want < 0) {
			store_failed(app, r);
			strbuf_release(&email);
			return;
		}
		/* Sent by the mail thread: an SMTP round trip must not hold up this one. */
		if (want > 0 && serve_mailer_queue(app->mailer, email.buf, list) < 0) {
			serve_store_subscribe_unsent(app, email.buf, list);
			serve_pages_message(app->pages, r, 503, "Please try again",
					    "We cannot send the confirmation e-mail just now. "
					    "Please try again in a few minutes.");
			r->retry_after = 60;
			strbuf_release(&email);
			return;
		}
	}
	/*
	 * The same page whether the address is new, pending, active or
	 * suppressed: the form must not tell who is on the list.
	 */
	ctx = tval_object();
	tval_set_str(ctx, "email", email.buf);
	r->status = 200;
	serve_pages_render(app->pages, PAGE_SUBSCRIBE_SENT, ctx, r);
	tval_free(ctx);
	strbuf_release(&email);
}

/* Clocks of two machines (the one that mailed, the one that serves) may differ a little. */
#define CONFIRM_CLOCK_SLACK 300

void serve_confirm(struct serve_app *app, enum serve_method m, const char *token,
		   const struct serve_form *form, struct serve_reply *r)
{
	char *email = NULL, *list = NULL;
	struct tval *ctx = NULL;
	int64_t issued, now;
	int active;

	(void)form;
	if (m == SERVE_OTHER) {
		method_not_allowed(app, r, "GET, HEAD, POST");
		return;
	}
	if (!token || token_verify_timed(app->secret, TOKEN_CONFIRM, token, &email, &list, &issued)) {
		bad_link(app, r, "confirm", token_reject_reason(app->secret, TOKEN_CONFIRM, token, 1));
		return;
	}
	now = (int64_t)clock_now();
	if (issued > now + CONFIRM_CLOCK_SLACK) {
		bad_link(app, r, "confirm", "issued in the future (a clock set wrong, or a forged time)");
		goto out;
	}
	/* An old link proves consent given long ago, if at all: ask again. */
	if (now - issued > (int64_t)app->cfg->confirm_ttl) {
		warning("serve: refused confirm link: expired (issued %lld s ago; [serve] confirm_ttl is %lld)",
			(long long)(now - issued), (long long)app->cfg->confirm_ttl);
		serve_pages_message(app->pages, r, 410, "This link has expired",
				    "Confirmation links are valid for a limited time. "
				    "Please fill in the subscription form again; "
				    "a new link will be sent to you.");
		goto out;
	}
	ctx = token_ctx(token, email, list);
	if (m != SERVE_POST) {
		r->status = 200;
		serve_pages_render(app->pages, PAGE_CONFIRM, ctx, r);
		goto out;
	}
	active = serve_store_confirm(app, email, list);
	if (active < 0) {
		store_failed(app, r);
		goto out;
	}
	if (!active) {
		serve_pages_message(app->pages, r, 409, "Subscription not possible",
				    "This address cannot be subscribed with this link. "
				    "Please write to us if you think this is a mistake.");
		goto out;
	}
	r->status = 200;
	serve_pages_render(app->pages, PAGE_CONFIRMED, ctx, r);
out:
	tval_free(ctx);
	free(email);
	free(list);
}

void serve_form_release(struct serve_form *f)
{
	free(f->one_click);
	free(f->email);
	free(f->name);
	free(f->website);
	memset(f, 0, sizeof(*f));
}

void serve_form_add(struct serve_form *f, const char *key, const char *data, size_t off, size_t len)
{
	char **field;
	size_t have;

	/* A multipart part without a name= comes with no key: none of ours. */
	if (!key)
		return;
	if (!data)
		data = "";
	if (!strcmp(key, "List-Unsubscribe"))
		field = &f->one_click;
	else if (!strcmp(key, "email"))
		field = &f->email;
	else if (!strcmp(key, "name"))
		field = &f->name;
	else if (!strcmp(key, "website"))
		field = &f->website;
	else
		return;
	/* A field given twice is ambiguous: which one did the person mean? */
	if (off == 0 && *field) {
		f->invalid = 1;
		return;
	}
	have = *field ? strlen(*field) : 0;
	if (off != have || have + len > SERVE_FIELD_MAX || memchr(data, '\0', len)) {
		f->invalid = 1;
		return;
	}
	*field = xrealloc(*field, have + len + 1);
	memcpy(*field + have, data, len);
	(*field)[have + len] = '\0';
}
