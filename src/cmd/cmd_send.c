/*
 * newsbeat send ISSUE [--list L] [--test EMAIL]... [--dry-run] [--yes] [--limit N]
 *                     [--retry-failed]
 *
 * The main job: snapshot the list's recipients into the delivery journal
 * (one durable transaction), then let the sender's workers deliver every
 * due row.  Running it again resumes.  See docs/delivery.md.
 */
#include "base/common.h"
#include "base/clock.h"
#include "base/strbuf.h"
#include "base/fsutil.h"
#include "base/config.h"
#include "core/issue.h"
#include "core/address.h"
#include "core/compose.h"
#include "core/token.h"
#include "core/config_headers.h"
#include "store/journal.h"
#include "store/store.h"
#include "archive/archive.h"
#include "deliver/sender.h"
#include "base/progress.h"
#include "deliver/send_run.h"
#include "deliver/send_source.h"
#include "deliver/transport.h"
#include "core/image.h"
#include "cmd/cmd.h"

#include <getopt.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"usage: newsbeat send ISSUE [--list L] [--where KEY=VALUE]... [--test EMAIL]... [--dry-run]\n"
	"                           [--yes] [--limit N] [--retry-failed] [--retry-ambiguous]\n"
	"                           [--no-archive]\n"
	"\n"
	"Deliver ISSUE (issue-42, 42, or a path to the .md file) to every active\n"
	"subscriber of the list, one personalized message each, through the\n"
	"transport [smtp] url configures (empty: the Maildir outbox).\n"
	"\n"
	"The first run records the recipients in the delivery journal; running\n"
	"it again resumes: nobody who got it is mailed again, nobody is skipped.\n"
	"`newsbeat status ISSUE` shows who got it, who failed and why.\n"
	"Before the first message goes out, the web archive ([paths] archive) is\n"
	"rebuilt, so the \"View in your browser\" link and Archived-At work when\n"
	"the mail arrives; if it cannot be built, nothing is sent.  A draft or\n"
	"an issue dated in the future (not in the archive) is sent only after\n"
	"asking, or with --yes.\n"
	"\n"
	"  --list L      the list (default: the issue's `list`, else [newsletter] default_list)\n"
	"  --where KEY=VALUE  only the members whose attribute KEY is VALUE (KEY!=VALUE:\n"
	"                is not VALUE); repeatable, all must hold; replaces the issue's\n"
	"                `segment`.  Recorded at the first send: a resume keeps it\n"
	"  --test EMAIL  send only to EMAIL (repeatable), subject prefixed \"[TEST] \";\n"
	"                the journal is not touched\n"
	"  --dry-run     build every message, deliver nothing\n"
	"  --yes         do not ask for confirmation (needed without a terminal)\n"
	"  --limit N     send at most N messages in this run\n"
	"  --retry-failed  once the cause is fixed (a config value, the relay), put\n"
	"                the issue's failed recipients back in the queue and send to\n"
	"                them; asks like a send (or --yes); sent rows are never touched.\n"
	"                Rows that failed after the connection was lost following the\n"
	"                final dot stay failed: a copy may already have arrived\n"
	"  --retry-ambiguous  --retry-failed, those rows included (check with the\n"
	"                recipients first: they may get the issue once more)\n"
	"  --no-archive  do not rebuild the archive first (run 'newsbeat archive' yourself)\n";

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct send_ctx {
	const struct config *cfg;
	struct compose *compose;
	struct send_source *source;
	struct journal *journal;
	/* dry run */
	long built;
	size_t bytes;
	int failed;
};

static int build_message(const struct send_ctx *ctx, const struct compose_recipient *r,
			 const char *prefix, struct strbuf *eml, struct strbuf *msgid)
{
	struct strbuf boundary = STRBUF_INIT;
	struct compose_output out = { eml, NULL, NULL, msgid };
	int ret;

	ret = compose_boundary(&boundary);
	if (ret == 0)
		ret = compose_message(ctx->compose, r, clock_now(), boundary.buf, prefix, &out);
	strbuf_release(&boundary);
	return ret;
}

/* sender_opts.build: a journal row back into a compose_recipient. */
static int build_row(void *data, const struct journal_row *row, struct strbuf *eml,
		     struct strbuf *msgid)
{
	const struct send_ctx *ctx = data;
	struct compose_recipient r;
	char **keys, **values;
	size_t n = journal_attrs_decode(row->attrs, &keys, &values);
	int ret;

	memset(&r, 0, sizeof(r));
	r.email = row->email;
	r.name = row->name;
	r.list = row->list;
	r.nattrs = n;
	r.attr_keys = (const char *const *)keys;
	r.attr_values = (const char *const *)values;
	ret = build_message(ctx, &r, NULL, eml, msgid);
	journal_attrs_free(n, keys, values);
	return ret;
}

static int dry_run_one(void *data, const struct compose_recipient *r)
{
	struct send_ctx *ctx = data;
	struct strbuf eml = STRBUF_INIT, msgid = STRBUF_INIT;

	if (build_message(ctx, r, NULL, &eml, &msgid) < 0)
		ctx->failed++;
	else if (transport_check_crlf(eml.buf, eml.len) < 0)
		ctx->failed += error("message for '%s' has a bare CR or LF", r->email) ? 1 : 0;
	else {
		ctx->built++;
		ctx->bytes += eml.len;
	}
	strbuf_release(&eml);
	strbuf_release(&msgid);
	return 0;
}

/* Ask on the terminal; 1 = yes. */
static int confirm(void)
{
	char line[64];

	fputs("Send? [y/N] ", stderr);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

struct test_send {
	struct send_ctx *ctx;
	struct transport *t;
	const char *from;
	struct strbuf eml, msgid;
	int bad;
};

/* Build and submit one test message to r. */
static int send_test_one(void *data, const struct compose_recipient *r)
{
	struct test_send *ts = data;
	struct transport_status st;
	struct strbuf sb = STRBUF_INIT, local = STRBUF_INIT;
	struct compose_recipient tr = *r;
	int built;

	strbuf_reset(&ts->eml);
	strbuf_reset(&ts->msgid);
	/* A Message-ID of its own: not the real issue's, nor the last test's. */
	built = token_random_alnum(24, &local) == 0;
	tr.message_id_local = local.buf;
	if (built)
		built = build_message(ts->ctx, &tr, "[TEST] ", &ts->eml, &ts->msgid) == 0;
	strbuf_release(&local);
	if (!built) {
		ts->bad++;
		return 0;
	}
	transport_send(ts->t, ts->from, r->email, ts->eml.buf, ts->eml.len, &st);
	if (st.result != TRANSPORT_SENT) {
		ts->bad++;
		printf("test message to %s not sent: %s\n", r->email, shown(&sb, st.reply));
	} else if (transport_is_local(ts->t)) {
		printf("test message for %s %s\n", r->email, shown(&sb, st.reply));	/* "delivered to PATH" */
	} else {
		printf("test message sent to %s\n", r->email);
	}
	strbuf_release(&sb);
	return 0;
}

/*
 * --test: each address gets the message a member would, with the stored
 * name and attributes when it is a member of the list.  The journal is
 * not touched and no database is created.
 */
static int send_tests(struct send_ctx *ctx, const char *from, const char *list,
		      char **tests, size_t ntests)
{
	struct test_send ts = { ctx, transport_open(ctx->cfg), from, STRBUF_INIT, STRBUF_INIT, 0 };
	struct send_source *src = NULL;
	struct strbuf addr = STRBUF_INIT;
	size_t i;

	if (!ts.t)
		return EXIT_USAGE;
	if (path_exists(ctx->cfg->database) && !(src = send_source_open(ctx->cfg))) {
		transport_close(ts.t);
		return EXIT_FAILED;
	}
	for (i = 0; i < ntests; i++) {
		struct compose_recipient r = { NULL, NULL, list, 0, NULL, NULL, NULL };
		int found = 0;

		strbuf_reset(&addr);
		address_validate(tests[i], &addr, NULL);	/* checked in cmd_send */
		r.email = addr.buf;
		if (src && (found = send_source_find(src, list, addr.buf, send_test_one, &ts)) < 0)
			ts.bad++;
		if (!found)
			send_test_one(&ts, &r);
	}
	send_source_close(src);
	transport_close(ts.t);
	strbuf_release(&ts.eml);
	strbuf_release(&ts.msgid);
	strbuf_release(&addr);
	return ts.bad ? EXIT_FAILED : EXIT_OK;
}

static void print_summary(const struct sender_result *res, const long c[JOURNAL_NSTATES],
			  struct journal *j, int issue)
{
	/*
	 * "To retry" is a state, said once, in the issue total: a row that
	 * failed for now and was sent later in the same run is not left to
	 * retry, so the run counts temporary failures instead.
	 */
	printf("sent %ld, failed %ld, cancelled %ld in this run (%.1f s, %.0f messages/s",
	       res->sent, res->failed, res->cancelled, res->seconds,
	       res->seconds > 0 ? (double)res->attempted / res->seconds : 0.0);
	if (res->connections)
		printf(", %d connection%s", res->connections, res->connections == 1 ? "" : "s");
	if (res->rtt > 0)
		printf(", round trip %.0f ms", res->rtt * 1000);
	printf(")\n");
	if (res->retry)
		printf("%ld temporary failure%s (4xx, timeout or lost connection) in this run\n",
		       res->retry, res->retry == 1 ? "" : "s");
	if (res->ambiguous)
		printf("%ld connection(s) lost after the final dot: those messages may arrive twice\n",
		       res->ambiguous);
	printf("issue total: %ld sent, %ld failed, %ld to retry, %ld pending, %ld cancelled\n",
	       c[JOURNAL_SENT], c[JOURNAL_FAILED], c[JOURNAL_RETRY],
	       c[JOURNAL_PENDING] + c[JOURNAL_SENDING], c[JOURNAL_CANCELLED]);
	if (c[JOURNAL_RETRY]) {
		int64_t when;

		if (journal_next_retry(j, issue, &when) == 0 && when) {
			time_t t = (time_t)when;
			struct tm tm;
			char buf[64];

			gmtime_r(&t, &tm);
			strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
			printf("next retry due %s: run 'newsbeat send' again then\n", buf);
		}
	}
	if (c[JOURNAL_FAILED])
		printf("see who failed and why: newsbeat status issue-%d --failed\n", issue);
}

/* Another issue file with the same number would share this one's journal. */
static int same_number(const struct config *cfg, const struct issue *is)
{
	char **others;
	size_t n = issue_same_number(cfg, is, &others), i;
	int r = 0;

	for (i = 0; i < n; i++) {
		r = error("'%s' and '%s' both say 'issue: %d': the second one sent would only "
			  "resume the first one's delivery; give each issue its own number "
			  "('newsbeat new' picks the next free one)", is->path, others[i], is->number);
		free(others[i]);
	}
	free(others);
	return r;
}

/*
 * The segment: --where's terms, else the front matter's `segment`.
 * *where stays NULL for the whole list; *canonical gets the text the
 * snapshot records.  0, or -1 after error() naming the bad term.
 */
static int parse_segment(const struct issue *is, char **wheres, size_t nwheres,
			 struct store_filter **where, struct strbuf *canonical)
{
	struct strbuf what = STRBUF_INIT;

	if (nwheres)
		*where = store_filter_parse((const char *const *)wheres, nwheres, "--where");
	else if (is->nsegment) {
		strbuf_addf(&what, "%s:%d: segment", is->path, is->segment_line);
		*where = store_filter_parse((const char *const *)is->segment, is->nsegment, what.buf);
	}
	strbuf_release(&what);
	if ((nwheres || is->nsegment) && !*where)
		return -1;
	store_filter_canonical(*where, canonical);
	return 0;
}

/* Why the archive leaves is out, for the question and the --yes warning. */
static const char *unpublished_why(const struct issue *is, enum issue_state state,
				   struct strbuf *sb)
{
	strbuf_reset(sb);
	if (state == ISSUE_DRAFT)
		strbuf_addf(sb, "issue %d is a draft (draft: true)", is->number);
	else
		strbuf_addf(sb, "issue %d is dated %s, in the future", is->number, is->date);
	strbuf_addstr(sb, ": the archive leaves it out, so its \"View in your browser\" link "
		      "will not work");
	return sb->buf;
}

/*
 * Rebuild the archive (as `newsbeat archive` does) so the issue's web
 * page exists when the mail arrives.  0, or -1 after error(): nothing
 * has been sent then.
 */
static int build_archive(const struct config *cfg, const struct issue *is,
			 enum issue_state state, const char *web_url)
{
	struct archive_stats st;

	if (archive_build(cfg, cfg->archive_dir, clock_now(), &st) < 0)
		return error("the archive could not be built in '%s', so nothing was sent: fix "
			     "the cause above, or send with --no-archive", cfg->archive_dir);
	printf("archive rebuilt in %s (%zu issue%s)", cfg->archive_dir, st.published,
	       st.published == 1 ? "" : "s");
	if (state == ISSUE_PUBLISHED)
		printf(": issue %d is at %s\n", is->number, web_url);
	else
		printf(", without issue %d\n", is->number);
	return 0;
}

int cmd_send(int argc, char **argv, struct config *cfg)
{
	static const struct option longopts[] = {
		{ "list", required_argument, NULL, 'l' },
		{ "test", required_argument, NULL, 't' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "yes", no_argument, NULL, 'y' },
		{ "limit", required_argument, NULL, 'L' },
		{ "retry-failed", no_argument, NULL, 'R' },
		{ "retry-ambiguous", no_argument, NULL, 'M' },
		{ "no-archive", no_argument, NULL, 'A' },
		{ "where", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *list_opt = NULL, *list, *why;
	char **tests = NULL, **wheres = NULL;
	size_t ntests = 0, tests_alloc = 0, nwheres = 0, wheres_alloc = 0, i;
	struct store_filter *where = NULL;
	struct strbuf segment = STRBUF_INIT;
	int dry_run = 0, yes = 0, retry_failed = 0, no_archive = 0, opt, ret = EXIT_USAGE, has;
	int retry_ambiguous = 0;
	long amb_failed = 0, to_requeue = 0;
	long limit = 0;
	struct strbuf path = STRBUF_INIT, from = STRBUF_INIT, sb = STRBUF_INIT;
	enum issue_state state;
	struct image_map images = IMAGE_MAP_INIT;
	struct send_ctx ctx;
	struct issue is;
	int issue_loaded = 0;
	struct transport *probe = NULL;
	struct send_run run;
	int run_open = 0;
	struct progress *progress;
	struct sender_result res;
	const long *c = run.counts;	/* the journal's counts, kept current by send_run */
	struct sigaction sa, old_int, old_term;

	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = cfg;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "l:t:nyL:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l': list_opt = optarg; break;
		case 't':
			ALLOC_GROW(tests, ntests + 1, tests_alloc);
			tests[ntests++] = optarg;
			break;
		case 'n': dry_run = 1; break;
		case 'y': yes = 1; break;
		case 'R': retry_failed = 1; break;
		case 'M': retry_failed = retry_ambiguous = 1; break;
		case 'A': no_archive = 1; break;
		case 'W':
			ALLOC_GROW(wheres, nwheres + 1, wheres_alloc);
			wheres[nwheres++] = optarg;
			break;
		case 'L': {
			char *end;

			errno = 0;
			limit = strtol(optarg, &end, 10);
			if (errno || *end || limit < 1) {
				free(tests);
				free(wheres);
				return usage_error(usage, "--limit wants a positive number, not '%s'", optarg);
			}
			break;
		}
		case 'h': free(tests); free(wheres); return show_help(usage);
		default: free(tests); free(wheres); return usage_error(usage, "unknown option");
		}
	}
	if (optind != argc - 1) {
		free(tests);
		free(wheres);
		return usage_error(usage, optind >= argc ? "which issue? e.g. 'newsbeat send issue-42'"
							 : "too many arguments");
	}
	if (nwheres && ntests) {
		free(tests);
		free(wheres);
		return usage_error(usage, "--where chooses the list's recipients; --test sends only to "
					  "the addresses given: use one or the other");
	}
	if (retry_failed && (ntests || dry_run)) {
		free(tests);
		free(wheres);
		return usage_error(usage, "--retry-failed re-queues journal rows: it goes with "
					  "neither --test nor --dry-run");
	}
	for (i = 0; i < ntests; i++) {
		if (address_validate(tests[i], NULL, &why) < 0) {
			error("--test '%s' is not a usable address: %s", tests[i], why);
			goto out;
		}
	}
	if (list_opt && issue_list_check(list_opt, &sb) < 0) {
		error("--list %s", sb.buf);
		goto out;
	}
	if (config_envelope_from(cfg, &from) < 0)
		goto out;
	if (issue_resolve(cfg->issues_dir, argv[optind], &path) < 0 ||
	    issue_load(&is, path.buf) < 0)
		goto out;
	issue_loaded = 1;
	list = list_opt ? list_opt : is.list ? is.list : cfg->default_list;
	if (same_number(cfg, &is) < 0)
		goto out;
	if (!ntests && parse_segment(&is, wheres, nwheres, &where, &segment) < 0)
		goto out;
	state = issue_state(&is, clock_now());

	/* Opening a transport checks the URL and TLS policy before any work. */
	probe = transport_open(cfg);
	if (!probe)
		goto out;
	if (!transport_is_local(probe) && !dry_run) {
		struct strbuf use = STRBUF_INIT;
		const char *secret;

		strbuf_addf(&use, "sending through %s", transport_describe(probe));
		secret = config_secret_required(cfg, use.buf);
		strbuf_release(&use);
		if (!secret)
			goto out;
	}
	ctx.compose = compose_with_images(cfg, &is, NULL, &images);
	if (!ctx.compose)
		goto out;

	if (ntests) {
		note_development_key(cfg);
		ret = send_tests(&ctx, from.buf, list, tests, ntests);
		goto out;
	}

	ctx.source = send_source_open(cfg);
	if (!ctx.source)
		goto out;
	if ((has = send_source_list_exists(ctx.source, list)) <= 0) {
		if (has == 0)
			error("there is no list '%s'; see 'newsbeat lists'", list);
		goto out;
	}

	if (dry_run) {
		if (send_source_where(ctx.source, list, where) < 0 ||
		    send_source_each(ctx.source, list, dry_run_one, &ctx) < 0)
			goto out;
		printf("dry run: built %ld messages (%zu bytes) for list '%s'%s, delivered nothing "
		       "(transport: %s)\n", ctx.built, ctx.bytes, list, segment.len ? " (a segment)" : "",
		       transport_describe(probe));
		ret = ctx.failed ? EXIT_FAILED : EXIT_OK;
		goto out;
	}

	has = send_run_open(&run, cfg, is.number, list, ctx.source, where, nwheres > 0, segment.buf);
	run_open = 1;
	if (has < 0) {
		if (has == -2)
			ret = EXIT_FAILED;
		goto out;
	}
	has = run.resuming;
	ctx.journal = run.journal;

	if (retry_failed && !has) {
		error("issue %d has not been sent yet, so nobody failed: run 'newsbeat send %d'",
		      is.number, is.number);
		goto out;
	}
	if (retry_failed) {
		/*
		 * A row failed after the connection was lost following the
		 * final dot may have arrived once or twice already: sending it
		 * again is a third copy, so only on request.
		 */
		amb_failed = retry_ambiguous ? 0 : journal_failed_ambiguous(run.journal, is.number);
		if (amb_failed < 0)
			goto out;
		to_requeue = c[JOURNAL_FAILED] - amb_failed;
	}
	if (retry_failed && !to_requeue) {
		printf("issue %d has no failed recipients to re-queue; nothing re-queued\n", is.number);
		retry_failed = 0;
	}
	if (amb_failed > 0)
		printf("%ld row(s) left failed because a copy may have arrived (the connection was lost "
		       "after the final dot); --retry-ambiguous sends them again\n", amb_failed);
	if (has && !retry_failed && !c[JOURNAL_PENDING] && !c[JOURNAL_SENDING] && !c[JOURNAL_RETRY]) {
		/* Nothing to ask about: say where the issue stands and stop. */
		printf("issue %d is complete: %ld sent, %ld failed, %ld cancelled; nothing left to send\n",
		       is.number, c[JOURNAL_SENT], c[JOURNAL_FAILED], c[JOURNAL_CANCELLED]);
		if (c[JOURNAL_FAILED])
			printf("see who failed and why: newsbeat status issue-%d --failed; once the cause "
			       "is fixed: newsbeat send %d --retry-failed\n", is.number, is.number);
		ret = c[JOURNAL_FAILED] ? EXIT_FAILED : EXIT_OK;
		goto out;
	}
	if (state != ISSUE_PUBLISHED && yes)
		warning("%s; sending it anyway (--yes)", unpublished_why(&is, state, &sb));
	if (!yes) {
		long n = has ? c[JOURNAL_PENDING] + c[JOURNAL_RETRY]
			     : send_source_count(ctx.source, list);

		if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) {
			if (state != ISSUE_PUBLISHED)
				error("%s", unpublished_why(&is, state, &sb));
			error("not a terminal, so I cannot ask for confirmation: pass --yes to send "
			      "issue %d to list '%s'", is.number, list);
			goto out;
		}
		if (state != ISSUE_PUBLISHED)
			fprintf(stderr, "warning:    %s\n", unpublished_why(&is, state, &sb));
		fprintf(stderr, "issue:      %d  %s\n", is.number, shown(&sb, is.title));
		fprintf(stderr, "subject:    %s\n", shown(&sb, compose_subject(ctx.compose)));
		fprintf(stderr, "list:       %s\n", shown(&sb, list));
		if (run.segment.len) {
			store_filter_describe(run.segment.buf, &sb);
			fprintf(stderr, "segment:    %s\n", sb.buf);
		}
		if (retry_failed)
			fprintf(stderr, "recipients: %ld that failed, to send again; %ld others left to "
				"send; %ld already sent (not touched)\n", to_requeue, n,
				c[JOURNAL_SENT]);
		else if (has)
			fprintf(stderr, "recipients: %ld left to send (resuming; %ld already sent)\n",
				n, c[JOURNAL_SENT]);
		else
			fprintf(stderr, "recipients: %ld\n", n);
		fprintf(stderr, "transport:  %s\n", transport_describe(probe));
		if (limit)
			fprintf(stderr, "limit:      %ld messages this run\n", limit);
		if (!confirm()) {
			fprintf(stderr, "nothing sent\n");
			ret = EXIT_OK;
			goto out;
		}
	}
	/* The pages the messages link to exist before the first one goes out. */
	if (!no_archive && build_archive(cfg, &is, state, compose_web_url(ctx.compose)) < 0)
		goto out;
	if (!has && send_run_snapshot(&run, ctx.source, list) < 0)
		goto out;
	if (retry_failed) {
		long n = send_run_requeue_failed(&run, retry_ambiguous);

		if (n < 0)
			goto out;
		printf("re-queued %ld failed recipient(s) of issue %d\n", n, is.number);
	}
	transport_close(probe);
	probe = NULL;

	{
		struct strbuf what = STRBUF_INIT;

		strbuf_addf(&what, "issue %d", is.number);
		progress = progress_start(what.buf, c[JOURNAL_PENDING] + c[JOURNAL_RETRY]);
		strbuf_release(&what);
	}
	note_development_key(cfg);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if (send_run_deliver(&run, cfg, from.buf, limit, build_row, &ctx, &interrupted, progress,
			     &res) < 0) {
		progress_stop(progress, 0, 0, 0);
		goto out_signals;
	}
	progress_stop(progress, res.sent, res.failed, c[JOURNAL_PENDING] + c[JOURNAL_RETRY]);
	if (res.unreachable_since) {
		time_t t = (time_t)res.unreachable_since;
		struct tm tm;
		char since[64];

		gmtime_r(&t, &tm);
		strftime(since, sizeof(since), "%Y-%m-%d %H:%M:%S UTC", &tm);
		error("sending stopped: the relay has not answered since %s "
		      "([smtp] retry_for = %d s): %s", since, cfg->retry_for, res.fatal_reply);
		fprintf(stderr, "%ld row(s) still due, none marked failed for it: "
			"run 'newsbeat send %d' again to resume\n",
			c[JOURNAL_PENDING] + c[JOURNAL_RETRY] + c[JOURNAL_SENDING], is.number);
	} else if (res.fatal) {
		error("sending stopped: %s", res.fatal_reply);
	}
	if (interrupted)
		fprintf(stderr, "interrupted; run 'newsbeat send' again to resume\n");
	print_summary(&res, c, ctx.journal, is.number);
	if (res.fatal || interrupted || c[JOURNAL_FAILED] || c[JOURNAL_RETRY] ||
	    (!limit && (c[JOURNAL_PENDING] || c[JOURNAL_SENDING])))
		ret = EXIT_FAILED;
	else
		ret = EXIT_OK;
out_signals:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
out:
	transport_close(probe);
	if (run_open)
		send_run_close(&run);
	send_source_close(ctx.source);
	compose_free(ctx.compose);
	if (issue_loaded)
		issue_release(&is);
	strbuf_release(&path);
	strbuf_release(&from);
	strbuf_release(&segment);
	store_filter_free(where);
	free(wheres);
	image_map_release(&images);
	strbuf_release(&sb);
	free(tests);
	return ret;
}
