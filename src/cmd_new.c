#include "common.h"
#include "cmd.h"

static const char usage[] = "usage: newsbeat new [--title T]\n";

int cmd_new(int argc, char **argv, struct config *cfg)
{
	(void)cfg;
	if (wants_help(argc, argv))
		return show_help(usage);
	return EXIT_USAGE;
}
