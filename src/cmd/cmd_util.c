#include "base/common.h"
#include "base/config.h"
#include "cmd/cmd.h"
#include "base/strbuf.h"

#include <unistd.h>

int usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;
	struct strbuf msg = STRBUF_INIT, out = STRBUF_INIT;

	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	fflush(stdout);
	fprintf(stderr, "newsbeat: error: %s\n\n", shown(&out, msg.buf));
	fputs(usage, stderr);
	strbuf_release(&msg);
	strbuf_release(&out);
	return EXIT_USAGE;
}

const char *shown(struct strbuf *scratch, const char *s)
{
	strbuf_reset(scratch);
	strbuf_add_shown(scratch, s, strlen(s), NULL);
	return scratch->buf;
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

int need_database(const struct config *cfg)
{
	if (access(cfg->database, F_OK) == 0)
		return 0;
	if (errno != ENOENT)
		return error("cannot use database '%s': %s", cfg->database, strerror(errno));
	return error("no newsletter here: there is no database '%s' (run this in the "
		     "newsletter's directory or give -c CONFIG; 'newsbeat subscribers add' or "
		     "'import' starts one)", cfg->database);
}
