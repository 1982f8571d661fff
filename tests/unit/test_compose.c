/*
 * compose: sample issues become messages that libetpan parses back into
 * multipart/alternative (text/plain, text/html) whose decoded parts equal
 * the rendered parts byte for byte; header injection is refused; a prepared
 * compose is usable from several threads.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/fsutil.h"
#include "base/config.h"
#include "core/issue.h"
#include "core/compose.h"
#include "tap.h"

#include <libetpan/libetpan.h>
#include <pthread.h>
#include <unistd.h>

static struct strbuf reports = STRBUF_INIT;
static char top[4096];

static void capture(const char *level, const char *msg)
{
	strbuf_addf(&reports, "%s: %s\n", level, msg);
}

/* LF → CRLF, as the QP encoder writes line breaks. */
static void to_crlf(const struct strbuf *in, struct strbuf *out)
{
	size_t i;

	strbuf_reset(out);
	for (i = 0; i < in->len; i++) {
		if (in->buf[i] == '\n' && (i == 0 || in->buf[i - 1] != '\r'))
			strbuf_addch(out, '\r');
		strbuf_addch(out, in->buf[i]);
	}
}

static int decode_part(struct mailmime *part, struct strbuf *out)
{
	struct mailmime_data *d = part->mm_data.mm_single;
	size_t idx = 0, len;
	char *dec;

	if (!d || mailmime_part_parse(d->dt_data.dt_text.dt_data, d->dt_data.dt_text.dt_length,
				      &idx, d->dt_encoding, &dec, &len) != MAILIMF_NO_ERROR)
		return -1;
	strbuf_add(out, dec, len);
	mmap_string_unref(dec);
	return 0;
}

static const char *subtype(struct mailmime *m)
{
	return m->mm_content_type ? m->mm_content_type->ct_subtype : "";
}

/* Parse eml with libetpan and compare its two decoded parts with text/html. */
static void check_parse_back(const struct strbuf *eml, const struct strbuf *text,
			     const struct strbuf *html, const char *what)
{
	struct mailmime *msg = NULL, *body, *p1, *p2;
	struct strbuf got = STRBUF_INIT, want = STRBUF_INIT;
	size_t idx = 0, i, linelen = 0, maxline = 0;
	int bare = 0, eight = 0;
	clist *parts;

	for (i = 0; i < eml->len; i++) {
		unsigned char ch = (unsigned char)eml->buf[i];

		if (ch >= 0x80 || ch == 0)
			eight = 1;
		if ((ch == '\r' && (i + 1 >= eml->len || eml->buf[i + 1] != '\n')) ||
		    (ch == '\n' && (i == 0 || eml->buf[i - 1] != '\r')))
			bare = 1;
		if (ch == '\n') {
			if (linelen > maxline)
				maxline = linelen;
			linelen = 0;
		} else if (ch != '\r') {
			linelen++;
		}
	}
	ok(!eight, "%s: 7-bit clean", what);
	ok(!bare, "%s: CRLF only, no bare CR or LF", what);
	ok(maxline <= 998, "%s: no line over 998 octets (longest %zu)", what, maxline);

	if (!ok(mailmime_parse(eml->buf, eml->len, &idx, &msg) == MAILIMF_NO_ERROR,
		"%s: libetpan parses the message", what))
		return;
	body = msg->mm_type == MAILMIME_MESSAGE ? msg->mm_data.mm_message.mm_msg_mime : msg;
	if (!ok(body && body->mm_type == MAILMIME_MULTIPLE && !strcasecmp(subtype(body), "alternative"),
		"%s: multipart/alternative", what))
		goto out;
	parts = body->mm_data.mm_multipart.mm_mp_list;
	if (!ok(clist_count(parts) == 2, "%s: two parts", what))
		goto out;
	p1 = clist_content(clist_begin(parts));
	p2 = clist_content(clist_next(clist_begin(parts)));
	ok(!strcasecmp(subtype(p1), "plain") && !strcasecmp(subtype(p2), "html"),
	   "%s: text/plain then text/html", what);
	ok(p1->mm_data.mm_single->dt_encoding == MAILMIME_MECHANISM_QUOTED_PRINTABLE,
	   "%s: text part is quoted-printable", what);
	to_crlf(text, &want);
	ok(decode_part(p1, &got) == 0 && got.len == want.len && !memcmp(got.buf, want.buf, got.len),
	   "%s: decoded text part equals the rendered text", what);
	strbuf_reset(&got);
	to_crlf(html, &want);
	ok(decode_part(p2, &got) == 0 && got.len == want.len && !memcmp(got.buf, want.buf, got.len),
	   "%s: decoded HTML part equals the rendered HTML", what);
out:
	mailmime_free(msg);
	strbuf_release(&got);
	strbuf_release(&want);
}

static int load_cfg(struct config *cfg, const char *extra)
{
	struct strbuf ini = STRBUF_INIT;
	char path[] = "/tmp/nb-compose-XXXXXX";
	int fd = mkstemp(path), r;

	strbuf_addf(&ini, "[paths]\ntemplates = %s/templates\nissues = %s/issues\n%s", top, top,
		    extra ? extra : "");
	if (fd < 0 || write(fd, ini.buf, ini.len) != (ssize_t)ini.len)
		return -1;
	close(fd);
	r = config_load(cfg, path);
	unlink(path);
	strbuf_release(&ini);
	return r;
}

static void collect_unfilled(void *data, const char *name, const char *where, int line)
{
	strbuf_addf(data, "%s (%s:%d)\n", name, where, line);
}

struct thread_arg {
	const struct compose *c;
	struct strbuf eml;
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;
	struct compose_output out = { &a->eml, NULL, NULL, NULL };
	struct compose_recipient r = { "t@example.org", "Thread Reader", "members", 0, NULL, NULL, NULL };
	int i;

	for (i = 0; i < 200; i++) {
		strbuf_reset(&a->eml);
		compose_message(a->c, &r, 1795770000, "=_ThreadBoundary0123456789abcdef", NULL, &out);
	}
	return NULL;
}

int main(void)
{
	static const char *const issues[] = { "issue-40.md", "issue-41.md", "issue-42.md" };
	static const struct { const char *email, *name; } rcpts[] = {
		{ "amara.okafor@example.org", "Amara Okafor" },
		{ "zoe.mueller@example.org", "Zoë Müller" },
		{ "li.ming@example.org", "李明" },
		{ "obrien@example.org", "Seán O'Brien, \"Jr.\"" },
		{ "noname@example.org", NULL },
	};
	static const char *const keys[] = { "country" };
	static const char *const values[] = { "Ireland" };
	struct strbuf eml = STRBUF_INIT, html = STRBUF_INIT, text = STRBUF_INIT, path = STRBUF_INIT;
	struct strbuf msgid = STRBUF_INIT;
	struct compose_output out = { &eml, &html, &text, &msgid };
	struct config cfg;
	struct issue is;
	struct compose *c;
	size_t i, j;

	set_report_routine(capture);
	if (!getcwd(top, sizeof(top)) || load_cfg(&cfg, NULL) < 0)
		return 1;

	for (i = 0; i < ARRAY_SIZE(issues); i++) {
		path_join(&path, cfg.issues_dir, issues[i]);
		if (!ok(issue_load(&is, path.buf) == 0, "%s loads", issues[i]))
			continue;
		c = compose_prepare(&cfg, &is, "unit-test-secret");
		if (!ok(c != NULL, "%s: compose_prepare", issues[i])) {
			diag("%s", reports.buf);
			issue_release(&is);
			continue;
		}
		for (j = 0; j < ARRAY_SIZE(rcpts); j++) {
			struct compose_recipient r = { rcpts[j].email, rcpts[j].name, "members", 1, keys, values, NULL };
			char what[200];

			strbuf_reset(&eml);
			strbuf_reset(&html);
			strbuf_reset(&text);
			strbuf_reset(&msgid);
			snprintf(what, sizeof(what), "%s to %s", issues[i], rcpts[j].email);
			if (!ok(compose_message(c, &r, 1795770000, "=_UnitBoundary0123456789abcdefgh",
						NULL, &out) == 0, "%s: composed", what))
				continue;
			check_parse_back(&eml, &text, &html, what);
			ok(strstr(html.buf, rcpts[j].email) != NULL, "%s: footer names the address", what);
			ok(msgid.len > 26 && strstr(eml.buf, msgid.buf) != NULL, "%s: Message-ID in the headers", what);
		}
		compose_free(c);
		issue_release(&is);
	}

	/* Personalization, subject prefix, header injection. */
	path_join(&path, cfg.issues_dir, "issue-42.md");
	issue_load(&is, path.buf);
	c = compose_prepare(&cfg, &is, "unit-test-secret");
	{
		struct compose_recipient r = { "zoe@example.org", "Zoë", "members", 0, NULL, NULL, NULL };

		strbuf_reset(&eml); strbuf_reset(&html); strbuf_reset(&text);
		compose_message(c, &r, 1795770000, "=_UnitBoundary0123456789abcdefgh", "[TEST] ", &out);
		ok(strstr(text.buf, "Dear Zoë,") != NULL, "body template variables are filled per recipient");
		ok(strstr(eml.buf, "Subject: [TEST] NewsBeat #42: CMR in heart failure") != NULL,
		   "subject prefix for test sends");
		ok(strstr(eml.buf, "List-Unsubscribe-Post: List-Unsubscribe=One-Click") != NULL,
		   "one-click unsubscribe header");
		ok(strstr(eml.buf, "Archived-At: <https://news.example.org/issues/issue-42.html>") != NULL,
		   "Archived-At is the archive page");
		is_str(compose_web_url(c), "https://news.example.org/issues/issue-42.html", "web URL");
	}
	{
		static const char *const evil[] = {
			"Eve\r\nBcc: victim@example.com", "Eve\nBcc: victim@example.com",
			"Eve\rBcc: victim@example.com",
		};

		for (i = 0; i < ARRAY_SIZE(evil); i++) {
			struct compose_recipient r = { "eve@example.org", evil[i], "members", 0, NULL, NULL, NULL };

			strbuf_reset(&eml);
			strbuf_reset(&reports);
			ok(compose_message(c, &r, 1795770000, "=_UnitBoundary0123456789abcdefgh", NULL, &out) < 0,
			   "a display name with a line break is refused (%zu)", i);
			ok(!strstr(eml.buf, "Bcc:"), "and never written (%zu)", i);
			ok(strstr(reports.buf, "eve@example.org") != NULL, "the error names the recipient (%zu)", i);
		}
	}
	{
		pthread_t th[4];
		struct thread_arg args[4];
		int same = 1;

		for (i = 0; i < 4; i++) {
			args[i].c = c;
			strbuf_init(&args[i].eml, 0);
			pthread_create(&th[i], NULL, thread_main, &args[i]);
		}
		for (i = 0; i < 4; i++)
			pthread_join(th[i], NULL);
		for (i = 1; i < 4; i++)
			same &= args[i].eml.len == args[0].eml.len &&
				!memcmp(args[i].eml.buf, args[0].eml.buf, args[0].eml.len);
		ok(same && args[0].eml.len > 1000, "four threads composing at once agree");
		for (i = 0; i < 4; i++)
			strbuf_release(&args[i].eml);
	}
	compose_free(c);
	issue_release(&is);
	config_release(&cfg);

	/* Unfilled variables and template errors. */
	{
		static const char md[] = "---\ntitle: T\nissue: 5\ndate: 2026-01-02\n---\n"
					 "Hello {{subscriber.name}} from {{subscriber.country}} {{nonsense}}\n";
		struct strbuf seen = STRBUF_INIT;

		load_cfg(&cfg, NULL);
		ok(issue_parse(&is, "t.md", md, sizeof(md) - 1) == 0, "inline issue parses");
		c = compose_prepare(&cfg, &is, NULL);
		if (ok(c != NULL, "prepare without a secret (development key)")) {
			compose_each_unfilled(c, collect_unfilled, &seen);
			ok(strstr(seen.buf, "nonsense") != NULL, "an unfilled variable is reported");
			ok(strstr(seen.buf, "subscriber.country") != NULL, "an attribute nobody has is reported");
			ok(!strstr(seen.buf, "subscriber.name"), "a filled variable is not");
		}
		compose_free(c);
		issue_release(&is);
		config_release(&cfg);
		strbuf_release(&seen);
	}

	/* A template with a syntax error: the message names the file and line. */
	{
		char dir[] = "/tmp/nb-tmpl-XXXXXX";
		struct strbuf ini = STRBUF_INIT, f = STRBUF_INIT;
		FILE *fp;

		if (mkdtemp(dir)) {
			path_join(&f, dir, "email.html");
			fp = fopen(f.buf, "w");
			fputs("<p>\n{{#subscriber}}\n{{content}}\n</p>\n", fp);
			fclose(fp);
			strbuf_addf(&ini, "[paths]\ntemplates = %s\n", dir);
			path_join(&f, dir, "c.ini");
			fp = fopen(f.buf, "w");
			fputs(ini.buf, fp);
			fclose(fp);
			config_load(&cfg, f.buf);
			path_join(&path, top, "issues/issue-42.md");
			issue_load(&is, path.buf);
			strbuf_reset(&reports);
			ok(compose_prepare(&cfg, &is, NULL) == NULL, "a broken template fails prepare");
			ok(strstr(reports.buf, "email.html:2") != NULL, "the error names the template and line");
			diag("%s", reports.buf);
			issue_release(&is);
			config_release(&cfg);
			remove_tree(dir);
		}
		strbuf_release(&ini);
		strbuf_release(&f);
	}

	/*
	 * A header value the builder refuses fails prepare, before any
	 * recipient (config_headers_check catches these at load; prepare is
	 * the net under it): every header is built once there.
	 */
	{
		static const char *const bad[] = {
			"[newsletter]\nlist_id = news beat.example.org\n",
			"[newsletter]\nlist_id = <newsbeat.example.org>\n",
			"[newsletter]\nbase_url = https://news.example.org/a b/\n",
			"[newsletter]\nunsubscribe_mailto = a@b.org c\n",
		};

		path_join(&path, top, "issues/issue-42.md");
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			if (load_cfg(&cfg, bad[i]) < 0 || issue_load(&is, path.buf) < 0) {
				ok(0, "%s: loads", bad[i]);
				continue;
			}
			strbuf_reset(&reports);
			c = compose_prepare(&cfg, &is, "unit-test-secret");
			ok(c == NULL, "a header the builder refuses fails prepare: %s", bad[i]);
			ok(strstr(reports.buf, "no message of this issue can be built") != NULL,
			   "…saying so");
			compose_free(c);
			issue_release(&is);
			config_release(&cfg);
		}
	}

	strbuf_release(&eml);
	strbuf_release(&html);
	strbuf_release(&text);
	strbuf_release(&path);
	strbuf_release(&msgid);
	strbuf_release(&reports);
	return tap_done();
}
