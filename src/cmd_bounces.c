#include "common.h"
#include "cmd.h"

static const char usage[] = "usage: newsbeat bounces ...\n";

int cmd_bounces(int argc, char **argv, struct config *cfg)
{
	(void)cfg;
	if (wants_help(argc, argv))
		return show_help(usage);
	fprintf(stderr, "newsbeat: error: 'bounces' is not implemented yet\n");
	return EXIT_USAGE;
}
