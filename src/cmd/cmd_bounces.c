/*
 * newsbeat bounces [--mailbox SPEC | --stdin] [--dry-run] [--json]
 * Read what came back after a send (bounces, complaints, auto-replies,
 * mailto unsubscribes), classify each message (bounce/bounce.h), apply
 * the policy (bounce/bounce_apply.h) and dispose of the message only
 * after its transaction committed.
 *
 * Each message is one transaction that also records the digest of its
 * bytes, so a message read twice (a crash between commit and move, an MTA
 * retry) changes nothing the second time.  A message that is not
 * recognised records nothing: it goes to a person (newsbeat-unrecognized)
 * each time it is seen, and that folder is where it stays.
 */
#include "base/common.h"
#include "base/config.h"
#include "base/fsutil.h"
#include "base/progress.h"
#include "base/strbuf.h"
#include "bounce/bounce.h"
#include "bounce/bounce_apply.h"
#include "bounce/mailbox.h"
#include "core/token.h"
#include "store/store.h"
#include "store/store_bounce.h"
#include "cmd/cmd.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <unistd.h>


/* Larger than any bounce; Postfix's default message_size_limit is 10 MB. */
#define STDIN_MAX (64u << 20)

static const char usage[] =
	"usage: newsbeat bounces [--mailbox SPEC] [--dry-run] [--json]\n"
	"       newsbeat bounces --stdin [--dry-run] [--json]\n"
	"       newsbeat bounces scan [--json] FILE|DIR...\n"
	"\n"
	"Read the bounces, complaints, auto-replies and mailto unsubscribe requests\n"
	"that came back after a send, and apply the bounce policy: a hard bounce or a\n"
	"5xx at send time makes the subscriber 'bounced'; soft bounces in\n"
	"[bounces] soft_limit of the last soft_window issues do too; a complaint makes\n"
	"them 'complained'; a mailto request whose token verifies unsubscribes them.\n"
	"Rejections that blame the sending set-up are reported, never counted.\n"
	"Nothing ever makes a subscriber active again.\n"
	"\n"
	"  --mailbox SPEC  read this mailbox instead of [bounces] mailbox:\n"
	"                  imaps://USER@HOST[:PORT]/FOLDER, imap://... (STARTTLS),\n"
	"                  pop3s://USER@HOST[:PORT], pop3://... (STLS),\n"
	"                  maildir:PATH, mbox:PATH.  The password is read from the\n"
	"                  variable [bounces] password_env names.\n"
	"  --stdin         handle the one message on standard input, as an MTA pipes\n"
	"                  it (a Postfix alias \"|newsbeat bounces --stdin\"): exit 0\n"
	"                  once handled, 75 when the database is busy or cannot be\n"
	"                  used, so the MTA keeps the message and tries again.  One\n"
	"                  that is not recognised is kept in the Maildir\n"
	"                  newsbeat-unrecognized/ beside the database.\n"
	"  --dry-run       say what would be done; open the mailbox read-only and\n"
	"                  change nothing\n"
	"  --json          one JSON object per message on stdout, the summary on\n"
	"                  stderr\n"
	"\n"
	"A handled message is moved, flagged or deleted as [bounces] processed says\n"
	"(default: moved to newsbeat-processed) after its effects are committed; one\n"
	"that is not recognised is moved to newsbeat-unrecognized, never deleted.\n"
	"The same message read again changes nothing (\", already handled\").\n"
	"At the end: counts by kind and by issue.\n"
	"\n"
	"Exit status: 0; 1 when the mailbox or the database failed (what was handled\n"
	"stays handled); 2 usage; 75 the database is busy or the config unusable\n"
	"(with --stdin: the MTA tries again later).\n";

/* What happened to one issue's deliveries in this run. */
struct issue_tally {
	int issue;
	long event[STORE_BOUNCE_HARD + 1];	/* by enum store_bounce_kind */
	long result[STORE_BOUNCE_UNSUBSCRIBED + 1];	/* by enum store_bounce_result */
};

struct run {
	struct store *st;
	struct bounce_apply_opts ao;
	const char *database;
	int dry_run, json;
	long nmsg, ndup, kinds[BOUNCE_NKINDS];
	struct issue_tally *iss;
	size_t niss;
	struct strbuf line, scratch, scratch2;
};

/* One message's outcome, for the line or the JSON object. */
struct handled {
	const char *id;
	enum bounce_kind kind;
	int duplicate;
	enum mailbox_disposition disp;
	const struct bounce_outcome *oc;
};

static const char *event_text(enum store_bounce_kind k)
{
	switch (k) {
	case STORE_BOUNCE_HARD: return "hard bounce";
	case STORE_BOUNCE_SOFT: return "soft bounce";
	case STORE_BOUNCE_COMPLAINT: return "complaint";
	case STORE_BOUNCE_UNSUBSCRIBE: return "unsubscribe";
	case STORE_BOUNCE_SENDER: return "rejection blaming the sender";
	case STORE_BOUNCE_NONE: break;
	}
	return "report";
}

/* "bounced", "would be bounced", "already recorded", ... */
static void add_result_text(struct strbuf *sb, const struct bounce_action *a, int dry_run)
{
	const char *word;

	switch (a->result) {
	case STORE_BOUNCE_DUPLICATE:
		strbuf_addstr(sb, "already recorded");
		return;
	case STORE_BOUNCE_COUNTED:
		word = a->kind == STORE_BOUNCE_SOFT ? "counted" :
		       a->kind == STORE_BOUNCE_SENDER ? "recorded, not counted against them" :
		       "recorded (no longer subscribed)";
		break;
	default:
		word = store_bounce_result_name(a->result);
		break;
	}
	if (dry_run)
		strbuf_addstr(sb, "would be ");
	strbuf_addstr(sb, word);
}

static struct issue_tally *tally_for(struct run *r, int issue)
{
	size_t i;

	for (i = 0; i < r->niss; i++)
		if (r->iss[i].issue == issue)
			return &r->iss[i];
	r->iss = xrealloc(r->iss, (r->niss + 1) * sizeof(*r->iss));
	memset(&r->iss[r->niss], 0, sizeof(*r->iss));
	r->iss[r->niss].issue = issue;
	return &r->iss[r->niss++];
}

static void tally(struct run *r, const struct handled *h)
{
	size_t i;

	r->nmsg++;
	r->kinds[h->kind]++;
	if (h->duplicate) {
		r->ndup++;
		return;
	}
	for (i = 0; i < h->oc->nact; i++) {
		const struct bounce_action *a = &h->oc->act[i];
		struct issue_tally *t;

		if (a->issue <= 0 || a->result == STORE_BOUNCE_DUPLICATE)
			continue;
		t = tally_for(r, a->issue);
		t->event[a->kind]++;
		t->result[a->result]++;
	}
}

static const char *disposition_name(enum mailbox_disposition d)
{
	return d == MAILBOX_UNRECOGNIZED ? "unrecognized" : d == MAILBOX_PROCESSED ? "processed" : "kept";
}

static void print_json(struct run *r, const struct handled *h)
{
	struct strbuf *sb = &r->line;
	size_t i;

	strbuf_reset(sb);
	strbuf_addstr(sb, "{\"id\":");
	cmd_json_str(sb, h->id);
	strbuf_addstr(sb, ",\"kind\":");
	cmd_json_str(sb, bounce_kind_name(h->kind));
	strbuf_addf(sb, ",\"duplicate\":%s,\"dry_run\":%s,\"disposition\":", h->duplicate ? "true" : "false",
		    r->dry_run ? "true" : "false");
	cmd_json_str(sb, disposition_name(h->disp));
	strbuf_addstr(sb, ",\"actions\":[");
	for (i = 0; h->oc && i < h->oc->nact; i++) {
		const struct bounce_action *a = &h->oc->act[i];

		strbuf_addstr(sb, i ? ",{\"email\":" : "{\"email\":");
		cmd_json_str(sb, a->email);
		if (a->issue > 0)
			strbuf_addf(sb, ",\"issue\":%d", a->issue);
		else
			strbuf_addstr(sb, ",\"issue\":null");
		strbuf_addstr(sb, ",\"event\":");
		cmd_json_str(sb, store_bounce_kind_name(a->kind));
		strbuf_addstr(sb, ",\"result\":");
		cmd_json_str(sb, store_bounce_result_name(a->result));
		strbuf_addstr(sb, ",\"by\":");
		cmd_json_str(sb, a->how);
		strbuf_addstr(sb, ",\"diagnostic\":");
		cmd_json_str(sb, a->diagnostic);
		strbuf_addch(sb, '}');
	}
	strbuf_addf(sb, "],\"blames_sender\":%s,\"note\":",
		    h->oc && h->oc->blames_sender ? "true" : "false");
	cmd_json_str(sb, h->oc ? h->oc->note : NULL);
	strbuf_addstr(sb, "}\n");
	fwrite(sb->buf, 1, sb->len, stdout);
}

static void print_lines(struct run *r, const struct handled *h)
{
	const char *id = shown(&r->scratch, h->id);
	const char *kind = bounce_kind_name(h->kind);
	size_t i;

	if (h->duplicate) {
		printf("%s: %s, already handled\n", id, kind);
		return;
	}
	for (i = 0; i < h->oc->nact; i++) {
		const struct bounce_action *a = &h->oc->act[i];

		strbuf_reset(&r->line);
		strbuf_addf(&r->line, "%s: %s", id, a->email);
		if (a->issue > 0)
			strbuf_addf(&r->line, " issue %d", a->issue);
		strbuf_addf(&r->line, " %s: ", event_text(a->kind));
		add_result_text(&r->line, a, r->dry_run);
		strbuf_addf(&r->line, " (by %s)", a->how);
		if (a->diagnostic)
			strbuf_addf(&r->line, ": %s", shown(&r->scratch2, a->diagnostic));
		printf("%s\n", r->line.buf);
		if (a->kind == STORE_BOUNCE_SENDER)
			warning("%s: the rejection of %s blames the sending set-up, not the address: "
				"not counted against them; check the relay, SPF/DKIM/DMARC and the "
				"sending address's reputation", id, a->email);
	}
	if (h->kind == BOUNCE_UNKNOWN)
		warning("%s: %s", id, h->oc->note ? h->oc->note : "not recognised");
	else if (h->oc->note)
		printf("%s: %s: %s\n", id, kind, shown(&r->scratch2, h->oc->note));
	else if (!h->oc->nact)
		printf("%s: %s: nothing to do\n", id, kind);
}

static void report(struct run *r, const struct handled *h)
{
	tally(r, h);
	if (r->json)
		print_json(r, h);
	else
		print_lines(r, h);
	fflush(stdout);
}

/* A one-line record of what the message did, kept with its digest. */
static void summary_of(struct strbuf *sb, const struct bounce_outcome *oc)
{
	strbuf_reset(sb);
	if (oc->nact) {
		const struct bounce_action *a = &oc->act[0];

		strbuf_addf(sb, "%s %s issue %d: %s", store_bounce_kind_name(a->kind), a->email,
			    a->issue, store_bounce_result_name(a->result));
		if (oc->nact > 1)
			strbuf_addf(sb, " (and %zu more)", oc->nact - 1);
	} else if (oc->note) {
		strbuf_addstr(sb, oc->note);
	}
}

/*
 * Classify, apply and record one message, in one transaction.
 * 0 with *disp set, -1 after error() (store), -2 the database is busy.
 */
static int handle(struct run *r, const char *id, const char *data, size_t len,
		  enum mailbox_disposition *disp)
{
	struct bounce_message m;
	struct bounce_outcome oc;
	struct handled h;
	char digest[65];
	int rc, seen = 0;

	memset(&oc, 0, sizeof(oc));
	(void)bounce_parse(data, len, &m);	/* -1 (not a message at all) leaves it unknown */
	token_digest(data, len, digest);
	rc = store_bounce_begin(r->st);
	if (rc < 0) {
		bounce_message_release(&m);
		return rc;
	}
	if (m.kind != BOUNCE_UNKNOWN && (seen = store_bounce_seen(r->st, digest)) < 0)
		goto fail;
	if (!seen) {
		if (bounce_apply(r->st, &m, &r->ao, &oc) < 0)
			goto fail;
		if (m.kind != BOUNCE_UNKNOWN) {
			summary_of(&r->line, &oc);
			if (store_bounce_mark_seen(r->st, digest, bounce_kind_name(m.kind), r->line.buf) < 0)
				goto fail;
		}
	}
	if ((r->dry_run || seen) ? store_rollback(r->st) < 0 : store_commit(r->st) < 0)
		goto fail;
	*disp = m.kind == BOUNCE_UNKNOWN ? MAILBOX_UNRECOGNIZED : MAILBOX_PROCESSED;
	h.id = id;
	h.kind = m.kind;
	h.duplicate = seen;
	h.disp = *disp;
	h.oc = &oc;
	report(r, &h);
	bounce_outcome_release(&oc);
	bounce_message_release(&m);
	return 0;
fail:
	store_rollback(r->st);
	bounce_outcome_release(&oc);
	bounce_message_release(&m);
	return -1;
}

static void add_count(struct strbuf *sb, const char *what, long n)
{
	if (n)
		strbuf_addf(sb, "%s%s %ld", sb->len ? ", " : "", what, n);
}

static int by_issue(const void *a, const void *b)
{
	const struct issue_tally *x = a, *y = b;

	return (x->issue > y->issue) - (x->issue < y->issue);
}

/* "13 messages, hard 1, soft 6, ...", then a line per issue; warnings on stderr. */
static void print_summary(struct run *r)
{
	FILE *out = r->json ? stderr : stdout;
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	int k;

	fflush(stdout);
	strbuf_addf(&sb, "%ld message%s", r->nmsg, r->nmsg == 1 ? "" : "s");
	for (k = BOUNCE_NKINDS - 1; k >= 0; k--)
		if (r->kinds[k])
			strbuf_addf(&sb, ", %s %ld", bounce_kind_name((enum bounce_kind)k), r->kinds[k]);
	if (r->ndup)
		strbuf_addf(&sb, " (%ld already handled)", r->ndup);
	fprintf(out, "%s\n", sb.buf);
	if (r->niss)
		qsort(r->iss, r->niss, sizeof(*r->iss), by_issue);
	for (i = 0; i < r->niss; i++) {
		const struct issue_tally *t = &r->iss[i];

		strbuf_reset(&sb);
		add_count(&sb, "hard", t->event[STORE_BOUNCE_HARD]);
		add_count(&sb, "complaint", t->event[STORE_BOUNCE_COMPLAINT]);
		add_count(&sb, "soft", t->event[STORE_BOUNCE_SOFT]);
		add_count(&sb, "refused (blaming the sender)", t->event[STORE_BOUNCE_SENDER]);
		add_count(&sb, "unsubscribe", t->event[STORE_BOUNCE_UNSUBSCRIBE]);
		add_count(&sb, "subscribers bounced", t->result[STORE_BOUNCE_BOUNCED]);
		add_count(&sb, "complained", t->result[STORE_BOUNCE_COMPLAINED]);
		add_count(&sb, "unsubscribed", t->result[STORE_BOUNCE_UNSUBSCRIBED]);
		fprintf(out, "  issue %d: %s\n", t->issue, sb.buf);
	}
	if (r->dry_run)
		fprintf(out, "dry run: nothing was changed\n");
	fflush(out);
	for (i = 0; i < r->niss; i++)
		if (r->iss[i].event[STORE_BOUNCE_SENDER])
			warn_sender_blamed(r->iss[i].issue, r->iss[i].event[STORE_BOUNCE_SENDER]);
	strbuf_release(&sb);
}

/* Every message of the mailbox.  An exit status. */
static int run_mailbox(struct run *r, const struct mailbox_opts *o)
{
	struct mailbox *mb;
	struct mailbox_msg m;
	struct progress *pg;
	long total, done = 0;
	int rc = 0, n, ret = EXIT_OK;

	mb = mailbox_open(o);
	if (!mb)
		return EXIT_FAILED;
	total = mailbox_count(mb);
	pg = progress_start(mailbox_describe(mb), total);
	progress_set_labels(pg, "handled", "failed", "left");
	while ((n = mailbox_next(mb, &m)) == 1) {
		enum mailbox_disposition d;

		rc = handle(r, m.id, m.data, m.len, &d);
		/* Disposed of only once committed: a crash before this re-reads it. */
		if (rc == 0 && mailbox_dispose(mb, &m, d) < 0)
			rc = -1;
		mailbox_msg_release(&m);
		if (rc < 0)
			break;
		done++;
		progress_update(pg, done, 0, total >= 0 ? total - done : -1);
	}
	progress_stop(pg, done, 0, total >= 0 ? total - done : -1);
	if (rc == -2)
		ret = EXIT_TEMPFAIL;
	else if (rc < 0 || n < 0)
		ret = EXIT_FAILED;
	if (ret != EXIT_OK)
		error("stopped after %ld message%s of %s; what was handled stays handled, run "
		      "'newsbeat bounces' again to go on", done, done == 1 ? "" : "s",
		      mailbox_describe(mb));
	mailbox_close(mb);
	print_summary(r);
	return ret;
}

/*
 * Keep an unrecognised piped message for a person: the Maildir
 * newsbeat-unrecognized/ beside the database, named by its digest so an
 * MTA's retry of the same message is kept once.  0 or -1.
 */
static int keep_unrecognized(const struct run *r, const char *data, size_t len)
{
	struct strbuf dir = STRBUF_INIT, name = STRBUF_INIT, tmp = STRBUF_INIT, dst = STRBUF_INIT;
	const char *slash = strrchr(r->database, '/');
	static const char *const sub[] = { "tmp", "new", "cur" };
	char digest[65];
	size_t i;
	int ret = -1;

	token_digest(data, len, digest);
	if (slash)
		strbuf_add(&dir, r->database, (size_t)(slash - r->database + 1));
	strbuf_addstr(&dir, "newsbeat-unrecognized");
	for (i = 0; i < 3; i++) {
		strbuf_reset(&tmp);
		strbuf_addf(&tmp, "%s/%s", dir.buf, sub[i]);
		if (mkdir_p(tmp.buf, 0700) < 0)
			goto out;
	}
	strbuf_addf(&name, "newsbeat-%.40s", digest);
	strbuf_reset(&dst);
	strbuf_addf(&dst, "%s/new/%s", dir.buf, name.buf);
	strbuf_reset(&tmp);
	strbuf_addf(&tmp, "%s/cur/%s:2,", dir.buf, name.buf);
	if (path_exists(dst.buf) || path_exists(tmp.buf)) {
		ret = 0;
		goto out;
	}
	strbuf_reset(&tmp);
	strbuf_addf(&tmp, "%s/tmp/%s", dir.buf, name.buf);
	/* Maildir delivery: written whole in tmp/, then renamed into new/. */
	if (write_file_atomic(tmp.buf, data, len, 0600) < 0)
		goto out;
	if (rename(tmp.buf, dst.buf) < 0) {
		error("cannot keep the message as '%s': %s", dst.buf, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	strbuf_release(&dir);
	strbuf_release(&name);
	strbuf_release(&tmp);
	strbuf_release(&dst);
	return ret;
}

/* The message on stdin.  An exit status: 75 whenever it must be retried. */
static int run_stdin(struct run *r)
{
	struct strbuf msg = STRBUF_INIT;
	enum mailbox_disposition d;
	char buf[65536];
	size_t n;
	int rc, ret = EXIT_OK;

	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0) {
		if (msg.len + n > STDIN_MAX) {
			strbuf_release(&msg);
			error("the message on stdin is larger than %u MB: not a bounce; not handled",
			      STDIN_MAX >> 20);
			return EXIT_FAILED;
		}
		strbuf_add(&msg, buf, n);
	}
	if (ferror(stdin)) {
		strbuf_release(&msg);
		error("cannot read the message on stdin: %s", strerror(errno));
		return EXIT_TEMPFAIL;
	}
	rc = handle(r, "stdin", msg.buf ? msg.buf : "", msg.len, &d);
	if (rc < 0)
		ret = EXIT_TEMPFAIL;
	else if (d == MAILBOX_UNRECOGNIZED && !r->dry_run && keep_unrecognized(r, msg.buf, msg.len) < 0)
		ret = EXIT_TEMPFAIL;
	if (ret == EXIT_TEMPFAIL)
		error("the message was not handled; exit 75 so that the mail system keeps it and "
		      "tries again later");
	strbuf_release(&msg);
	return ret;
}

int cmd_bounces(int argc, char **argv, struct config *cfg)
{
	static const struct option longopts[] = {
		{ "mailbox", required_argument, NULL, 'm' },
		{ "stdin", no_argument, NULL, 's' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mailbox_opts mo;
	struct run r;
	const char *spec = NULL;
	int opt, from_stdin = 0, ret;

	if (argc > 1 && !strcmp(argv[1], "scan"))
		return cmd_bounces_scan(argc - 1, argv + 1);
	memset(&r, 0, sizeof(r));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm': spec = optarg; break;
		case 's': from_stdin = 1; break;
		case 'n': r.dry_run = 1; break;
		case 'j': r.json = 1; break;
		case 'h': return show_help(usage);
		default: return usage_error(usage, "unknown option");
		}
	}
	if (optind != argc)
		return usage_error(usage, "unexpected argument '%s' (did you mean 'bounces scan'?)",
				   argv[optind]);
	if (from_stdin && spec)
		return usage_error(usage, "--stdin and --mailbox: one source at a time");
	if (!spec)
		spec = cfg->bounces_mailbox;
	if (!from_stdin && (!spec || !*spec))
		return usage_error(usage, "no mailbox to read: set [bounces] mailbox in the config, "
				   "give --mailbox SPEC, or pipe one message with --stdin");
	if (!from_stdin) {
		/* A spec that cannot be read is the caller's to fix (2), as any usage error. */
		struct mailbox_spec ms;

		if (mailbox_spec_parse(spec, &ms) < 0)
			return EXIT_USAGE;
		mailbox_spec_release(&ms);
	}
	if (need_database(cfg) < 0)
		return from_stdin ? EXIT_TEMPFAIL : EXIT_USAGE;
	r.database = cfg->database;
	/*
	 * Without send's secret no VERP tag or unsubscribe token verifies,
	 * yet every message read would be recorded as handled and disposed
	 * of: a mailto unsubscribe consumed and never applied.  Refuse
	 * before reading anything; for --stdin, 75 keeps the message queued
	 * in the MTA until the secret is there.
	 */
	if (!config_secret(cfg)) {
		const char *name = *cfg->secret_env ? cfg->secret_env : "NEWSBEAT_SECRET";

		error("%s is not set: bounces needs the secret 'send' signs VERP tags and "
		      "unsubscribe links with, or the reports it reads could not be attributed "
		      "and mailto unsubscribes would be lost; run it with the same %s as send "
		      "(in the environment of the cron job or the MTA's pipe)", name, name);
		return from_stdin ? EXIT_TEMPFAIL : EXIT_USAGE;
	}
	r.ao.secret = config_secret_required(cfg, "reading bounces (it must be send's secret)");
	if (!r.ao.secret)
		return from_stdin ? EXIT_TEMPFAIL : EXIT_USAGE;
	r.ao.policy.soft_limit = cfg->soft_limit;
	r.ao.policy.soft_window = cfg->soft_window;
	r.ao.verp = cfg->verp;
	r.st = store_open(cfg->database);
	if (!r.st)
		return from_stdin ? EXIT_TEMPFAIL : EXIT_FAILED;
	/* A server that drops the connection must fail the call, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	if (from_stdin) {
		ret = run_stdin(&r);
	} else {
		memset(&mo, 0, sizeof(mo));
		mo.spec = spec;
		mo.password = config_bounces_password(cfg);
		mo.tls_none = cfg->bounces_tls == CONFIG_TLS_NONE;
		mo.ca_file = cfg->bounces_ca_file;
		mo.processed = cfg->bounces_processed;
		mo.read_only = r.dry_run;
		ret = run_mailbox(&r, &mo);
	}
	store_close(r.st);
	free(r.iss);
	strbuf_release(&r.line);
	strbuf_release(&r.scratch);
	strbuf_release(&r.scratch2);
	return ret;
}
