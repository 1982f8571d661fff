#include "base/common.h"
#include "cmd/cmd.h"

int usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("newsbeat: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n\n", stderr);
	fputs(usage, stderr);
	return EXIT_USAGE;
}

int show_help(const char *usage)
{
	fputs(usage, stdout);
	return EXIT_OK;
}

int wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return 0;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	}
	return 0;
}
