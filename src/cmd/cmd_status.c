/*
 * newsbeat status ISSUE [--failed]
 * Who got an issue, who failed and why, who is still pending: the
 * delivery journal, read-only.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/config.h"
#include "core/issue.h"
#include "store/journal.h"
#include "store/store.h"
#include "store/store_bounce.h"
#include "base/fsutil.h"
#include "cmd/cmd.h"

#include <getopt.h>
#include <time.h>

static const char usage[] =
	"usage: newsbeat status ISSUE [--failed | --json]\n"
	"\n"
	"Show how the delivery of ISSUE (issue-42, 42, or a path to the .md file)\n"
	"stands: how many were sent, failed, are to be retried or still pending,\n"
	"then each failed, retrying or pending address with the server's last reply,\n"
	"then what came back ('newsbeat bounces'): bounced, complained, soft\n"
	"bounces and rejections that blame the sender, each with the diagnostic.\n"
	"\n"
	"  --failed   list only the addresses that failed for good\n"
	"  --json     the counts as one JSON object, for scripts and monitoring:\n"
	"             issue, sent_yet, list, segment, recipients, sent, failed,\n"
	"             retry, pending, cancelled, bounced, complained, soft,\n"
	"             sender_blamed\n";

static int print_entry(void *data, const struct journal_entry *e)
{
	struct strbuf sb = STRBUF_INIT;

	(void)data;
	printf("%-9s %s", journal_state_name(e->state), shown(&sb, e->email));
	if (e->attempts)
		printf("  (%d attempt%s)", e->attempts, e->attempts == 1 ? "" : "s");
	/* The server's words: escaped, they cannot drive the terminal. */
	if (e->reply && *e->reply)
		printf("  %s", shown(&sb, e->reply));
	putchar('\n');
	strbuf_release(&sb);
	return 0;
}

/* What came back about the issue (`newsbeat bounces`), per delivery. */
struct bounce_counts {
	long n[STORE_BOUNCE_HARD + 1];
	int listing;
};

static const char *bounce_label(enum store_bounce_kind k)
{
	switch (k) {
	case STORE_BOUNCE_HARD: return "bounced";
	case STORE_BOUNCE_SOFT: return "soft";
	case STORE_BOUNCE_COMPLAINT: return "complained";
	case STORE_BOUNCE_UNSUBSCRIBE: return "unsubscribed";
	case STORE_BOUNCE_SENDER: return "refused";
	case STORE_BOUNCE_NONE: break;
	}
	return "?";
}

static int count_bounce(void *data, const struct store_bounce_entry *e)
{
	struct bounce_counts *bc = data;

	if (!bc->listing) {
		bc->n[e->kind]++;
		return 0;
	}
	printf("%-12s %s", bounce_label(e->kind), e->email);
	if (*e->status)
		printf("  %s", e->status);
	if (*e->diagnostic)
		printf("  %s", e->diagnostic);
	putchar('\n');
	return 0;
}

/* The counts (listing 0) or each delivery with its diagnostic (listing 1). */
static int show_bounces(const char *database, int issue, int listing)
{
	struct store *st = store_open(database);
	struct bounce_counts bc;
	int r = -1;

	memset(&bc, 0, sizeof(bc));
	bc.listing = listing;
	if (!st || store_bounce_each(st, issue, count_bounce, &bc) < 0)
		goto out;
	r = 0;
	if (listing)
		goto out;
	printf("  bounced    %ld\n", bc.n[STORE_BOUNCE_HARD]);
	printf("  complained %ld\n", bc.n[STORE_BOUNCE_COMPLAINT]);
	if (bc.n[STORE_BOUNCE_SOFT])
		printf("  soft       %ld  (bounced after [bounces] soft_limit)\n", bc.n[STORE_BOUNCE_SOFT]);
	if (bc.n[STORE_BOUNCE_UNSUBSCRIBE])
		printf("  unsubscribed by report %ld\n", bc.n[STORE_BOUNCE_UNSUBSCRIBE]);
	if (bc.n[STORE_BOUNCE_SENDER]) {
		printf("  refused    %ld  (blaming the sender, not the address)\n", bc.n[STORE_BOUNCE_SENDER]);
		warn_sender_blamed(issue, bc.n[STORE_BOUNCE_SENDER]);
	}
out:
	store_close(st);
	return r;
}

/* --json: one object; an issue not sent yet has "sent_yet":false and zeros. */
static int print_json(const char *database, int issue, int has, const char *list,
		      const char *segment, const long c[JOURNAL_NSTATES], long total)
{
	struct store *st = has ? store_open(database) : NULL;
	struct bounce_counts bc;
	struct strbuf js = STRBUF_INIT;

	memset(&bc, 0, sizeof(bc));
	if (has && (!st || store_bounce_each(st, issue, count_bounce, &bc) < 0)) {
		store_close(st);
		return -1;
	}
	store_close(st);
	strbuf_addf(&js, "{\"issue\":%d,\"sent_yet\":%s,\"list\":", issue, has ? "true" : "false");
	cmd_json_str(&js, has ? list : NULL);
	strbuf_addstr(&js, ",\"segment\":");
	cmd_json_str(&js, has && *segment ? segment : NULL);
	strbuf_addf(&js, ",\"recipients\":%ld,\"sent\":%ld,\"failed\":%ld,\"retry\":%ld,"
		    "\"pending\":%ld,\"cancelled\":%ld,\"bounced\":%ld,\"complained\":%ld,"
		    "\"soft\":%ld,\"sender_blamed\":%ld}\n", total, c[JOURNAL_SENT],
		    c[JOURNAL_FAILED], c[JOURNAL_RETRY], c[JOURNAL_PENDING] + c[JOURNAL_SENDING],
		    c[JOURNAL_CANCELLED], bc.n[STORE_BOUNCE_HARD], bc.n[STORE_BOUNCE_COMPLAINT],
		    bc.n[STORE_BOUNCE_SOFT], bc.n[STORE_BOUNCE_SENDER]);
	fputs(js.buf, stdout);
	strbuf_release(&js);
	return 0;
}

int cmd_status(int argc, char **argv, struct config *cfg)
{
	static const struct option longopts[] = {
		{ "failed", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct strbuf path = STRBUF_INIT, list = STRBUF_INIT, segment = STRBUF_INIT;
	struct strbuf shown_seg = STRBUF_INIT, sb = STRBUF_INIT;
	struct journal *j = NULL;
	struct issue is;
	long c[JOURNAL_NSTATES], total = 0;
	int opt, failed_only = 0, json = 0, ret = EXIT_USAGE, has, loaded = 0;
	unsigned mask;
	enum journal_state s;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "fh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f': failed_only = 1; break;
		case 'J': json = 1; break;
		case 'h': return show_help(usage);
		default: return usage_error(usage, "unknown option");
		}
	}
	if (optind != argc - 1)
		return usage_error(usage, optind >= argc ? "which issue? e.g. 'newsbeat status issue-42'"
							 : "too many arguments");
	if (json && failed_only)
		return usage_error(usage, "--json gives the counts; --failed lists addresses: use one");
	if (issue_resolve(cfg->issues_dir, argv[optind], &path) < 0 ||
	    issue_load(&is, path.buf) < 0)
		goto out;
	loaded = 1;
	memset(c, 0, sizeof(c));
	if (!path_exists(cfg->database)) {
		if (json)
			print_json(cfg->database, is.number, 0, NULL, NULL, c, 0);
		else
			printf("issue %d has not been sent (no database at %s)\n", is.number, cfg->database);
		ret = EXIT_OK;
		goto out;
	}
	j = journal_open(cfg->database);
	if (!j || (has = journal_has_snapshot(j, is.number)) < 0 ||
	    journal_counts(j, is.number, c) < 0)
		goto out;
	if (!has && json) {
		ret = print_json(cfg->database, is.number, 0, NULL, NULL, c, 0) < 0 ? EXIT_FAILED : EXIT_OK;
		goto out;
	}
	if (!has) {
		printf("issue %d has not been sent; 'newsbeat send issue-%d' sends it\n",
		       is.number, is.number);
		ret = EXIT_OK;
		goto out;
	}
	for (s = 0; s < JOURNAL_NSTATES; s++)
		total += c[s];
	if (json) {
		if (journal_snapshot_list(j, is.number, &list) < 0 ||
		    journal_snapshot_segment(j, is.number, &segment) < 0 ||
		    print_json(cfg->database, is.number, 1, list.buf, segment.buf, c, total) < 0)
			goto out;
		ret = EXIT_OK;
		goto out;
	}
	printf("issue %d: %ld recipients\n", is.number, total);
	if (journal_snapshot_list(j, is.number, &list) < 0 ||
	    journal_snapshot_segment(j, is.number, &segment) < 0)
		goto out;
	if (segment.len) {
		store_filter_describe(segment.buf, &shown_seg);
		printf("  segment    %s of list '%s'\n", shown_seg.buf, shown(&sb, list.buf));
	}
	printf("  sent       %ld\n", c[JOURNAL_SENT]);
	printf("  failed     %ld\n", c[JOURNAL_FAILED]);
	printf("  retry      %ld\n", c[JOURNAL_RETRY]);
	printf("  pending    %ld\n", c[JOURNAL_PENDING] + c[JOURNAL_SENDING]);
	printf("  cancelled  %ld\n", c[JOURNAL_CANCELLED]);
	if (show_bounces(cfg->database, is.number, 0) < 0)
		goto out;
	mask = 1u << JOURNAL_FAILED;
	if (!failed_only)
		mask |= 1u << JOURNAL_RETRY | 1u << JOURNAL_PENDING | 1u << JOURNAL_SENDING;
	if (journal_each(j, is.number, mask, print_entry, NULL) < 0)
		goto out;
	if (!failed_only && show_bounces(cfg->database, is.number, 1) < 0)
		goto out;
	ret = EXIT_OK;
out:
	journal_close(j);
	if (loaded)
		issue_release(&is);
	strbuf_release(&path);
	strbuf_release(&list);
	strbuf_release(&segment);
	strbuf_release(&shown_seg);
	strbuf_release(&sb);
	return ret;
}
