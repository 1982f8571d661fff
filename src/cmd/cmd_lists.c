/*
 * newsbeat lists: each list with its member counts by status.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/config.h"
#include "store/store.h"
#include "cmd/cmd.h"

static const char usage[] =
	"usage: newsbeat lists\n"
	"\n"
	"Each list with its members counted by status (active, pending,\n"
	"unsubscribed, bounced, complained); 'suppressed' counts active members\n"
	"who are on the suppression list and so are not mailed.\n";

static void print_list(void *data, const char *list, const long long c[STORE_STATUS_COUNT])
{
	struct strbuf sb = STRBUF_INIT;

	(void)data;
	printf("%-20s %8lld %8lld %12lld %8lld %10lld %10lld\n", shown(&sb, list), c[STORE_ACTIVE],
	       c[STORE_PENDING], c[STORE_UNSUBSCRIBED], c[STORE_BOUNCED], c[STORE_COMPLAINED],
	       c[STORE_NONE]);
	strbuf_release(&sb);
}

int cmd_lists(int argc, char **argv, struct config *cfg)
{
	struct store *st;
	int r;

	if (wants_help(argc, argv))
		return show_help(usage);
	if (argc > 1)
		return usage_error(usage, "unexpected argument '%s'", argv[1]);
	st = store_open(cfg->database);
	if (!st)
		return EXIT_FAILED;
	printf("%-20s %8s %8s %12s %8s %10s %10s\n", "list", "active", "pending",
	       "unsubscribed", "bounced", "complained", "suppressed");
	r = store_each_list(st, print_list, NULL);
	store_close(st);
	return r < 0 ? EXIT_FAILED : EXIT_OK;
}
