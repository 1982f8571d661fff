/* The bounce mailbox spec parser: every form, percent-decoding, default
 * ports and folders, and the specs it must refuse, each with a message
 * that says what is wrong; plus the description that hides nothing but
 * carries no password, checked through a local Maildir. */
#include "base/common.h"
#include "base/strbuf.h"
#include "bounce/mailbox.h"
#include "tap.h"

#include <sys/stat.h>
#include <unistd.h>

static struct strbuf last = STRBUF_INIT;

static void capture(const char *level, const char *msg)
{
	(void)level;
	strbuf_reset(&last);
	strbuf_addstr(&last, msg);
}

static const struct {
	const char *spec;
	enum mailbox_scheme scheme;
	const char *user, *host;
	unsigned port;
	const char *folder, *path;
} good[] = {
	{ "imaps://bounces@mail.example.org/INBOX", MAILBOX_IMAPS, "bounces", "mail.example.org", 993, "INBOX", NULL },
	{ "imaps://bounces@mail.example.org", MAILBOX_IMAPS, "bounces", "mail.example.org", 993, "INBOX", NULL },
	{ "imaps://bounces@mail.example.org/", MAILBOX_IMAPS, "bounces", "mail.example.org", 993, "INBOX", NULL },
	{ "IMAPS://b@h.example:1993/Bounces", MAILBOX_IMAPS, "b", "h.example", 1993, "Bounces", NULL },
	{ "imap://b@127.0.0.1:143/INBOX", MAILBOX_IMAP, "b", "127.0.0.1", 143, "INBOX", NULL },
	{ "imap://b@h.example", MAILBOX_IMAP, "b", "h.example", 143, "INBOX", NULL },
	{ "imaps://me%40example.org@imap.example.org/INBOX", MAILBOX_IMAPS, "me@example.org", "imap.example.org", 993, "INBOX", NULL },
	{ "imaps://me@example.org@imap.example.org/INBOX", MAILBOX_IMAPS, "me@example.org", "imap.example.org", 993, "INBOX", NULL },
	{ "imaps://b@h.example/INBOX/bounces", MAILBOX_IMAPS, "b", "h.example", 993, "INBOX/bounces", NULL },
	{ "imaps://b@h.example/My%20Bounces", MAILBOX_IMAPS, "b", "h.example", 993, "My Bounces", NULL },
	{ "imaps://b@[::1]:9993/INBOX", MAILBOX_IMAPS, "b", "::1", 9993, "INBOX", NULL },
	{ "pop3s://b@pop.example.org", MAILBOX_POP3S, "b", "pop.example.org", 995, NULL, NULL },
	{ "pop3s://b@pop.example.org/", MAILBOX_POP3S, "b", "pop.example.org", 995, NULL, NULL },
	{ "pop3://b@localhost:1110", MAILBOX_POP3, "b", "localhost", 1110, NULL, NULL },
	{ "maildir:/var/mail/bounces", MAILBOX_MAILDIR, NULL, NULL, 0, NULL, "/var/mail/bounces" },
	{ "maildir:relative/dir", MAILBOX_MAILDIR, NULL, NULL, 0, NULL, "relative/dir" },
	{ "mbox:/var/mail/newsbeat", MAILBOX_MBOX, NULL, NULL, 0, NULL, "/var/mail/newsbeat" },
};

static const struct {
	const char *spec, *says;
} bad[] = {
	{ "", "unknown kind" },
	{ "https://b@h.example/", "unknown kind" },
	{ "/var/mail/bounces", "unknown kind" },
	{ "imaps://h.example/INBOX", "no user" },
	{ "imaps://@h.example/INBOX", "no user" },
	{ "imaps://b:secret@h.example/INBOX", "password in the mailbox spec is refused" },
	/* The '@' forgotten: "b:secret" is no host:port, and is not repeated. */
	{ "imaps://b:secret/INBOX", "password in the mailbox spec is refused" },
	{ "pop3s://b:secret", "password in the mailbox spec is refused" },
	{ "imaps://h.example:993/INBOX", "no user" },
	{ "imaps://b@/INBOX", "no host" },
	{ "imaps://b@h.example:/INBOX", "expected ':PORT'" },
	{ "imaps://b@h.example:0/INBOX", "port must be a number" },
	{ "imaps://b@h.example:65536/INBOX", "port must be a number" },
	{ "imaps://b@h.example:99x/INBOX", "port must be a number" },
	{ "imaps://b@h.ex ample/INBOX", "is not a host name" },
	{ "imaps://b@[::1/INBOX", "'[' without ']'" },
	{ "imaps://b%zz@h.example/INBOX", "bad %-escape in the user" },
	{ "imaps://b%0d%0aA1 LOGOUT@h.example/INBOX", "bad %-escape in the user" },
	{ "imaps://b@h.example/IN%00BOX", "bad %-escape in the folder" },
	{ "imaps://b@h.example/INBOX%", "bad %-escape in the folder" },
	{ "imaps://b@h.example/IN\r\nBOX", "line break" },
	{ "pop3s://b@h.example/INBOX", "POP3 has no folders" },
	{ "maildir:", "no path" },
	{ "mbox:", "no path" },
};

/* The spec with CR and LF visible, for a one-line test name. */
static const char *shown(const char *spec)
{
	static struct strbuf sb = STRBUF_INIT;

	strbuf_reset(&sb);
	for (; *spec; spec++) {
		if (*spec == '\r')
			strbuf_addstr(&sb, "\\r");
		else if (*spec == '\n')
			strbuf_addstr(&sb, "\\n");
		else
			strbuf_addch(&sb, *spec);
	}
	return sb.buf;
}

int main(void)
{
	char dir[] = "/tmp/nb-mailbox-XXXXXX";
	struct mailbox_spec s;
	struct mailbox_opts o = { 0 };
	struct mailbox *mb;
	struct strbuf path = STRBUF_INIT;
	size_t i;

	set_report_routine(capture);
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		const char *sp = good[i].spec;

		if (!ok(mailbox_spec_parse(sp, &s) == 0, "parses: %s", sp)) {
			printf("#   error: %s\n", last.buf);
			continue;
		}
		ok(s.scheme == good[i].scheme, "  scheme");
		is_str(s.user, good[i].user, "  user");
		is_str(s.host, good[i].host, "  host");
		is_int(s.port, good[i].port, "  port");
		is_str(s.folder, good[i].folder, "  folder");
		is_str(s.path, good[i].path, "  path");
		mailbox_spec_release(&s);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		strbuf_reset(&last);
		ok(mailbox_spec_parse(bad[i].spec, &s) < 0, "refused: '%s'", shown(bad[i].spec));
		if (!ok(strstr(last.buf, bad[i].says) != NULL, "  says '%s'", bad[i].says))
			printf("#   got: %s\n", last.buf);
		ok(!strstr(last.buf, "secret"), "  never repeats a password");
		ok(!s.user && !s.host && !s.folder && !s.path, "  nothing left allocated");
	}

	/* The description, through a real open of a local Maildir. */
	if (!mkdtemp(dir))
		return 1;
	strbuf_addf(&path, "%s/new", dir);
	mkdir(path.buf, 0700);
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/cur", dir);
	mkdir(path.buf, 0700);
	strbuf_reset(&path);
	strbuf_addf(&path, "maildir:%s", dir);
	o.spec = path.buf;
	o.read_only = 1;
	mb = mailbox_open(&o);
	ok(mb != NULL, "an empty Maildir opens");
	if (mb) {
		struct mailbox_msg m;

		is_str(mailbox_describe(mb), path.buf, "  described as its spec");
		is_int(mailbox_count(mb), 0, "  count 0");
		is_int(mailbox_next(mb, &m), 0, "  no message");
		mailbox_close(mb);
	}
	mailbox_close(NULL);
	o.processed = "move:";
	ok(!mailbox_open(&o), "processed = move: without a folder is refused");
	ok(strstr(last.buf, "write move:FOLDER, seen or delete") != NULL, "  with what to write");
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/new", dir);
	rmdir(path.buf);
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/cur", dir);
	rmdir(path.buf);
	rmdir(dir);
	strbuf_release(&path);
	strbuf_release(&last);
	return tap_done();
}
