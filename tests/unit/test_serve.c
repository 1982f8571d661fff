/*
 * The parts of `newsbeat serve` that work on plain buffers: content types,
 * the static file mapper (traversal, hidden files, symlinks out, directory
 * redirects), form field collection (repeats, oversize, NUL) and the
 * per-client rate limit.
 */
#include "base/common.h"
#include "base/fsutil.h"
#include "base/strbuf.h"
#include "serve/serve_internal.h"
#include "tap.h"

#include <limits.h>
#include <pthread.h>
#include <unistd.h>

static void test_content_types(void)
{
	is_str(serve_content_type("/index.html"), "text/html; charset=utf-8", "html");
	is_str(serve_content_type("/a/feed.xml"), "application/atom+xml; charset=utf-8", "feed.xml is Atom");
	is_str(serve_content_type("/sitemap.xml"), "application/xml; charset=utf-8", "other xml");
	is_str(serve_content_type("/style.css"), "text/css; charset=utf-8", "css");
	is_str(serve_content_type("/search.js"), "text/javascript; charset=utf-8", "js");
	is_str(serve_content_type("/LOGO.PNG"), "image/png", "extension case-insensitive");
	is_str(serve_content_type("/README"), "application/octet-stream", "no extension");
	is_str(serve_content_type("/x.html/evil"), "application/octet-stream", "a dot in a directory is no extension");
}

static int status_of(const char *root, const char *path, char **location)
{
	struct serve_reply r;
	int st;

	serve_reply_init(&r);
	serve_static(root, path, &r);
	st = r.status;
	if (location)
		*location = r.location ? xstrdup(r.location) : NULL;
	serve_reply_release(&r);
	return st;
}

static void test_static(void)
{
	char tmpl[] = "/tmp/nb-test-serve.XXXXXX", real[PATH_MAX];
	struct strbuf root = STRBUF_INIT, p = STRBUF_INIT;
	char *loc = NULL;
	static const char *const refused[] = {
		"/../outside.txt", "/issues/../../outside.txt", "/./index.html", "//index.html",
		"/.hidden", "/issues/.x", "/escape.html", "/escdir/outside.txt", "/..\\outside.txt",
		"index.html", "", "/issues//issue-1.html", "/nope.html", "/empty/",
	};
	size_t i;

	if (!mkdtemp(tmpl) || !realpath(tmpl, real)) {
		ok(0, "mkdtemp");
		return;
	}
	strbuf_addf(&root, "%s/public", real);
	strbuf_addf(&p, "%s/issues", root.buf);
	mkdir_p(p.buf, 0755);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/empty", root.buf);
	mkdir_p(p.buf, 0755);
#define PUT(name, text) do { strbuf_reset(&p); strbuf_addf(&p, "%s/%s", root.buf, name); \
	write_file_atomic(p.buf, text, strlen(text), 0644); } while (0)
	PUT("index.html", "<h1>a</h1>");
	PUT("issues/issue-1.html", "<p>1</p>");
	PUT("issues/index.html", "<p>list</p>");
	PUT(".hidden", "x");
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/outside.txt", real);
	write_file_atomic(p.buf, "out", 3, 0644);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/escape.html", root.buf);
	ok(symlink("../outside.txt", p.buf) == 0, "symlink out (file)");
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/escdir", root.buf);
	ok(symlink("..", p.buf) == 0, "symlink out (dir)");
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/latest.html", root.buf);
	ok(symlink("issues/issue-1.html", p.buf) == 0, "symlink in");

	is_int(status_of(root.buf, "/", NULL), 200, "/ → index.html");
	is_int(status_of(root.buf, "/index.html", NULL), 200, "a file");
	is_int(status_of(root.buf, "/issues/issue-1.html", NULL), 200, "a file in a directory");
	is_int(status_of(root.buf, "/issues/", NULL), 200, "a directory's index.html");
	is_int(status_of(root.buf, "/latest.html", NULL), 200, "a symlink that stays inside");
	is_int(status_of(root.buf, "/issues", &loc), 301, "a directory without / redirects");
	is_str(loc, "issues/", "…relatively");
	free(loc);
	for (i = 0; i < ARRAY_SIZE(refused); i++)
		is_int(status_of(root.buf, refused[i], NULL), 404, "refused: '%s'", refused[i]);
	is_int(status_of(NULL, "/index.html", NULL), 404, "no archive: 404");
	{
		struct serve_reply r;

		serve_reply_init(&r);
		serve_static(root.buf, "/issues/issue-1.html", &r);
		ok(r.fd >= 0 && r.size == 8 && r.cacheable, "an open fd with the size, cacheable");
		is_str(r.content_type, "text/html; charset=utf-8", "…and its type");
		serve_reply_release(&r);
		ok(r.fd == -1, "release closes the fd");
	}
	remove_tree(real);
	strbuf_release(&root);
	strbuf_release(&p);
}

static void test_form(void)
{
	struct serve_form f = { 0 };
	char big[SERVE_FIELD_MAX + 2];

	serve_form_add(&f, "List-Unsubscribe", "One-", 0, 4);
	serve_form_add(&f, "List-Unsubscribe", "Click", 4, 5);
	serve_form_add(&f, "other", "x", 0, 1);
	serve_form_add(&f, NULL, "x", 0, 1);	/* a multipart part without a name */
	serve_form_add(&f, "email", NULL, 0, 0);
	is_str(f.one_click, "One-Click", "a value in two pieces");
	ok(!f.invalid, "unknown keys are ignored");
	serve_form_add(&f, "List-Unsubscribe", "One-Click", 0, 9);
	ok(f.invalid, "a repeated field makes the form invalid");
	serve_form_release(&f);

	serve_form_add(&f, "email", "a\0b@example.org", 0, 15);
	ok(f.invalid && !f.email, "a NUL in a value makes the form invalid");
	serve_form_release(&f);

	memset(big, 'a', sizeof(big));
	serve_form_add(&f, "name", big, 0, SERVE_FIELD_MAX);
	ok(!f.invalid && strlen(f.name) == SERVE_FIELD_MAX, "a field of exactly the cap is fine");
	serve_form_add(&f, "name", big, SERVE_FIELD_MAX, 1);
	ok(f.invalid, "one byte more is not");
	serve_form_release(&f);

	serve_form_add(&f, "email", "x", 5, 1);
	ok(f.invalid, "a piece at the wrong offset is refused");
	serve_form_release(&f);
}

/* IPv6 clients are counted by /64: one host holds the whole prefix. */
static void test_ratelimit_ipv6(void)
{
	struct serve_ratelimit *rl = serve_ratelimit_new(3, 60);
	char key[SERVE_RATELIMIT_KEYMAX];
	time_t t = 1000000;
	int allowed = 0, i;

	serve_ratelimit_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd", key);
	is_str(key, "2001:db8:1:2::/64", "an IPv6 address keyed by its /64");
	serve_ratelimit_key("2001:DB8:1:2::1", key);
	is_str(key, "2001:db8:1:2::/64", "  in canonical form");
	serve_ratelimit_key("::ffff:192.0.2.7", key);
	is_str(key, "192.0.2.7", "an IPv4-mapped address is the IPv4 client");
	serve_ratelimit_key("192.0.2.7", key);
	is_str(key, "192.0.2.7", "IPv4 as it is");
	for (i = 0; i < 10; i++) {
		char addr[64];

		snprintf(addr, sizeof(addr), "2001:db8:1:2::%x", i + 1);
		allowed += serve_ratelimit_hit(rl, addr, t) == 0;
	}
	is_int(allowed, 3, "10 addresses of one /64 share one limit");
	ok(serve_ratelimit_hit(rl, "2001:db8:1:3::1", t) == 0, "the next /64 has its own");
	serve_ratelimit_free(rl);
}

static void test_ratelimit(void)
{
	struct serve_ratelimit *rl = serve_ratelimit_new(3, 60);
	time_t t = 1000000;
	int i, allowed = 0;
	char key[32];

	for (i = 0; i < 5; i++)
		allowed += serve_ratelimit_hit(rl, "10.0.0.1", t) == 0;
	is_int(allowed, 3, "3 of 5 allowed in a window");
	ok(serve_ratelimit_hit(rl, "10.0.0.1", t + 10) == 50, "the wait is the rest of the window");
	ok(serve_ratelimit_hit(rl, "10.0.0.2", t) == 0, "another client has its own count");
	ok(serve_ratelimit_hit(rl, "10.0.0.1", t + 60) == 0, "a new window allows again");
	/* Many clients: the table stays bounded and keeps working. */
	for (i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "192.0.%d.%d", i / 256, i % 256);
		serve_ratelimit_hit(rl, key, t + 61);
	}
	allowed = 0;
	for (i = 0; i < 5; i++)
		allowed += serve_ratelimit_hit(rl, "10.9.9.9", t + 62) == 0;
	is_int(allowed, 3, "after 100,000 other clients, still 3 of 5");
	serve_ratelimit_free(rl);
}

/*
 * The mail thread with a send function of its own: jobs go out in order,
 * one at a time, off the caller's thread; a full queue refuses at once.
 */
struct fake_send {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int started, open_gate;
	struct strbuf seen;
};

static int fake_send(void *ctx, const char *email, const char *list)
{
	struct fake_send *f = ctx;

	pthread_mutex_lock(&f->lock);
	strbuf_addf(&f->seen, "%s/%s ", email, list);
	f->started++;
	pthread_cond_broadcast(&f->cond);
	while (!f->open_gate)
		pthread_cond_wait(&f->cond, &f->lock);
	pthread_mutex_unlock(&f->lock);
	return 0;
}

static void fake_wait(struct fake_send *f, int n)
{
	pthread_mutex_lock(&f->lock);
	while (f->started < n)
		pthread_cond_wait(&f->cond, &f->lock);
	pthread_mutex_unlock(&f->lock);
}

static void test_mailer(void)
{
	struct fake_send f = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, STRBUF_INIT };
	struct serve_mailer *m = serve_mailer_start(fake_send, &f, 2);

	ok(m != NULL, "the mail thread starts with a send function");
	if (!m)
		return;
	ok(serve_mailer_queue(m, "a@example.org", "news") == 0, "a job is queued");
	fake_wait(&f, 1);	/* in flight, held at the gate: the queue is empty */
	ok(serve_mailer_queue(m, "b@example.org", "news") == 0 &&
	   serve_mailer_queue(m, "c@example.org", "other") == 0, "two more fill the queue");
	is_int(serve_mailer_queue(m, "d@example.org", "news"), -1, "a full queue refuses the next");
	pthread_mutex_lock(&f.lock);
	f.open_gate = 1;
	pthread_cond_broadcast(&f.cond);
	pthread_mutex_unlock(&f.lock);
	fake_wait(&f, 3);
	serve_mailer_stop(m);
	is_str(f.seen.buf, "a@example.org/news b@example.org/news c@example.org/other ",
	       "each job reached the send function once, in order");
	strbuf_release(&f.seen);
	pthread_cond_destroy(&f.cond);
	pthread_mutex_destroy(&f.lock);
}

int main(void)
{
	test_content_types();
	test_static();
	test_form();
	test_ratelimit();
	test_ratelimit_ipv6();
	test_mailer();
	return tap_done();
}
