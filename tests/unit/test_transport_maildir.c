/*
 * The Maildir outbox transport, and the checks every transport makes
 * before anything reaches the wire.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/config.h"
#include "base/fsutil.h"
#include "base/host.h"
#include "deliver/transport.h"
#include "tap.h"

#include <dirent.h>
#include <pthread.h>
#include <unistd.h>

static const char msg[] =
	"From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n\r\n"
	".leading dot\r\nbody\r\n";

static int count_dir(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name), s = strlen(suffix);

		if (e->d_name[0] != '.' && l > s && !strcmp(e->d_name + l - s, suffix))
			n++;
	}
	closedir(d);
	return n;
}

static char *first_file(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *r = NULL;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			struct strbuf sb = STRBUF_INIT;

			path_join(&sb, dir, e->d_name);
			r = strbuf_detach(&sb, NULL);
			break;
		}
	if (d)
		closedir(d);
	return r;
}

struct thr {
	const struct config *cfg;
	int ok;
};

static void *many(void *arg)
{
	struct thr *t = arg;
	struct transport *tr = transport_open(t->cfg);
	struct transport_status st;
	int i;

	for (i = 0; tr && i < 200; i++) {
		transport_send(tr, "a@example.org", "b@example.org", msg, sizeof(msg) - 1, &st);
		t->ok += st.result == TRANSPORT_SENT;
	}
	transport_close(tr);
	return NULL;
}

int main(void)
{
	char tmpl[] = "/tmp/nb-maildir.XXXXXX";
	struct config cfg;
	struct transport *t;
	struct transport_status st;
	struct strbuf sb = STRBUF_INIT, want = STRBUF_INIT;
	struct thr thr[4];
	pthread_t tid[4];
	const char *why;
	char *f;
	int i, total = 0;

	if (!mkdtemp(tmpl) || chdir(tmpl) < 0)
		skip_all("no temporary directory");
	if (config_load(&cfg, NULL) < 0)
		skip_all("config_load failed");
	ok(!*cfg.smtp_url, "no [smtp] url by default");

	t = transport_open(&cfg);
	ok(t != NULL, "Maildir transport opens");
	ok(t && transport_is_local(t), "it is local");
	ok(t && strstr(transport_describe(t), "outbox") != NULL, "describe names the outbox: %s",
	   t ? transport_describe(t) : "");
	ok(is_dir("outbox/tmp") && is_dir("outbox/new") && is_dir("outbox/cur"),
	   "tmp/ new/ cur/ created");

	transport_send(t, "bounce@example.org", "b@example.org", msg, sizeof(msg) - 1, &st);
	is_int(st.result, TRANSPORT_SENT, "message delivered");
	is_int(count_dir("outbox/new", ".eml"), 1, "one .eml in new/");
	is_int(count_dir("outbox/tmp", ""), 0, "nothing left in tmp/");
	f = first_file("outbox/new");
	strbuf_read_file(&sb, f);
	strbuf_addf(&want, "Return-Path: <bounce@example.org>\r\nDelivered-To: b@example.org\r\n%s", msg);
	is_str(sb.buf, want.buf, "file holds the envelope and the message byte for byte");
	free(f);

	/* The smuggling shapes never reach a transport. */
	transport_send(t, "a@example.org", "b@example.org\r\nRCPT TO:<c@evil.example>", msg,
		       sizeof(msg) - 1, &st);
	is_int(st.result, TRANSPORT_PERMFAIL, "CRLF in recipient refused");
	transport_send(t, "a@example.org", "<b@example.org> NOTIFY=SUCCESS", msg, sizeof(msg) - 1, &st);
	is_int(st.result, TRANSPORT_PERMFAIL, "angle brackets and parameters refused");
	transport_send(t, "a@example.org\n", "b@example.org", msg, sizeof(msg) - 1, &st);
	is_int(st.result, TRANSPORT_FATAL, "LF in envelope sender is fatal");
	transport_send(t, "a@example.org", "b@example.org", "A: b\r\n\r\nx\n.\r\n", 14, &st);
	is_int(st.result, TRANSPORT_PERMFAIL, "bare LF in message refused");
	transport_send(t, "a@example.org", "b@example.org", "A: b\r\n\r\nx\r.\r\n", 14, &st);
	is_int(st.result, TRANSPORT_PERMFAIL, "bare CR in message refused");
	is_int(count_dir("outbox/new", ".eml"), 1, "refused messages wrote nothing");

	ok(transport_check_address("a@example.org", &why) == 0, "plain address passes");
	ok(transport_check_address("a b@example.org", &why) < 0, "space refused");
	ok(transport_check_address("", &why) < 0, "empty refused");
	/* The envelope gets only what the one validator accepts, normalized. */
	ok(transport_check_address("\"a(b)\"@example.org", &why) < 0, "quoted specials refused: %s", why);
	ok(transport_check_address("a@example.org@evil.org", &why) < 0, "two '@' refused: %s", why);
	ok(transport_check_address("a@m\xc3\xbcller.example", &why) < 0, "an unconverted IDN domain refused: %s", why);
	ok(transport_check_address("a@xn--mller-kva.example", &why) == 0, "its punycode form passes");
	ok(transport_check_address("a@Example.ORG", &why) < 0, "an unnormalized domain refused: %s", why);
	ok(transport_check_crlf("a\r\nb\r\n", 6) == 0, "CRLF only passes");
	ok(transport_check_crlf("\n", 1) < 0, "leading bare LF refused");
	ok(transport_check_crlf("a\r", 2) < 0, "trailing CR refused");
	ok(host_is_loopback("127.0.0.1") && host_is_loopback("localhost") &&
	   host_is_loopback("::1") && host_is_loopback("[::1]"),
	   "loopback hosts recognised");
	ok(!host_is_loopback("127.0.0.1.evil.example") &&
	   !host_is_loopback("mail.example.org") &&
	   !host_is_loopback("10.0.0.1"), "other hosts are not loopback");
	transport_close(t);

	/* Unique names from several threads at once. */
	for (i = 0; i < 4; i++) {
		thr[i].cfg = &cfg;
		thr[i].ok = 0;
		pthread_create(&tid[i], NULL, many, &thr[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(tid[i], NULL);
		total += thr[i].ok;
	}
	is_int(total, 800, "800 messages from 4 threads delivered");
	is_int(count_dir("outbox/new", ".eml"), 801, "801 distinct files in new/");

	/* SMTP URL policy (no connection is made by opening). */
	free(cfg.smtp_url);
	cfg.smtp_url = xstrdup("smtp://mail.example.org:587");
	t = transport_open(&cfg);
	ok(t && strstr(transport_describe(t), "STARTTLS"), "remote smtp:// requires STARTTLS: %s",
	   t ? transport_describe(t) : "");
	ok(t && !transport_is_local(t), "SMTP is not local");
	transport_close(t);
	free(cfg.smtp_url);
	cfg.smtp_url = xstrdup("http://mail.example.org/");
	ok(transport_open(&cfg) == NULL, "http:// refused");
	free(cfg.smtp_url);
	cfg.smtp_url = xstrdup("smtp://127.0.0.1:2525");
	free(cfg.smtp_username);
	cfg.smtp_username = xstrdup("user");
	unsetenv("NEWSBEAT_SMTP_PASSWORD");
	ok(transport_open(&cfg) == NULL, "username without a password in the environment refused");

	config_release(&cfg);
	strbuf_release(&sb);
	strbuf_release(&want);
	if (chdir("/") == 0)
		remove_tree(tmpl);
	return tap_done();
}
