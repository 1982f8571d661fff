#include "common.h"
#include "cmd.h"

static const char usage[] = "usage: newsbeat serve ...\n";

int cmd_serve(int argc, char **argv, struct config *cfg)
{
	(void)cfg;
	if (wants_help(argc, argv))
		return show_help(usage);
	fprintf(stderr, "newsbeat: error: 'serve' is not implemented yet\n");
	return EXIT_USAGE;
}
