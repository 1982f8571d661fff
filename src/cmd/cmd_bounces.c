#include "base/common.h"
#include "cmd/cmd.h"

static const char usage[] =
	"usage: newsbeat bounces\n"
	"\n"
	"Reading the bounce mailbox (IMAP) and suppressing hard bounces is not\n"
	"implemented in this version.  Until it is, mark a hard-bounced address\n"
	"with 'newsbeat subscribers remove EMAIL'.\n";

int cmd_bounces(int argc, char **argv, struct config *cfg)
{
	(void)cfg;
	if (argc > 1 && !strcmp(argv[1], "scan"))
		return cmd_bounces_scan(argc - 1, argv + 1);
	if (wants_help(argc, argv))
		return show_help(usage);
	fputs("newsbeat: error: 'bounces' is not implemented in this version\n", stderr);
	fputs(usage + strlen("usage: newsbeat bounces\n\n"), stderr);
	return EXIT_USAGE;
}
