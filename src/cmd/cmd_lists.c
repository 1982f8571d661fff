/*
 * newsbeat lists: each list with its member counts by status.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/config.h"
#include "base/strbuf.h"
#include "store/store.h"
#include "cmd/cmd.h"

static const char usage[] =
	"usage: newsbeat lists [--json]\n"
	"\n"
	"Each list with its members counted by status (active, pending,\n"
	"unsubscribed, bounced, complained); 'suppressed' counts active members\n"
	"who are on the suppression list and so are not mailed.\n"
	"\n"
	"  --json   one JSON object per list: {\"list\":..., \"active\":N, \"pending\":N,\n"
	"           \"unsubscribed\":N, \"bounced\":N, \"complained\":N, \"suppressed\":N}\n";

static void print_json(void *data, const char *list, const long long c[STORE_STATUS_COUNT])
{
	struct strbuf js = STRBUF_INIT;

	(void)data;
	strbuf_addstr(&js, "{\"list\":");
	strbuf_add_json_string(&js, list, strlen(list));
	strbuf_addf(&js, ",\"active\":%lld,\"pending\":%lld,\"unsubscribed\":%lld,"
		    "\"bounced\":%lld,\"complained\":%lld,\"suppressed\":%lld}\n",
		    c[STORE_ACTIVE], c[STORE_PENDING], c[STORE_UNSUBSCRIBED], c[STORE_BOUNCED],
		    c[STORE_COMPLAINED], c[STORE_NONE]);
	fputs(js.buf, stdout);
	strbuf_release(&js);
}

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
	int r, json = 0;

	if (wants_help(argc, argv))
		return show_help(usage);
	if (argc > 1 && !strcmp(argv[1], "--json"))
		json = 1;
	if (argc > 1 + json)
		return usage_error(usage, argv[1 + json][0] == '-' ? "unknown option '%s'"
				   : "unexpected argument '%s'", argv[1 + json]);
	if (need_database(cfg) < 0 || !(st = store_open(cfg->database)))
		return EXIT_FAILED;
	if (!json)
		printf("%-20s %8s %8s %12s %8s %10s %10s\n", "list", "active", "pending",
		       "unsubscribed", "bounced", "complained", "suppressed");
	r = store_each_list(st, json ? print_json : print_list, NULL);
	store_close(st);
	return r < 0 ? EXIT_FAILED : EXIT_OK;
}
