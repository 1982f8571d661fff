#include "common.h"
#include "cmd.h"

static const char usage[] = "usage: rendersbeat render ISSUE [--to EMAIL] [-o DIR]\n";

int cmd_render(int argc, char **argv, struct config *cfg)
{
	(void)cfg;
	if (wants_help(argc, argv))
		return show_help(usage);
	return EXIT_USAGE;
}
