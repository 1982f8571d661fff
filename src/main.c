/*
 * newsbeat — compile a newsletter from Markdown issues, mail it to
 * subscribers, and publish a web archive.  This file only dispatches.
 */
#include "base/common.h"
#include "base/config.h"
#include "core/config_headers.h"
#include "cmd/cmd.h"

#include <locale.h>

static const char usage[] =
	"usage: newsbeat [-c CONFIG] COMMAND [ARGS]\n"
	"\n"
	"Write an issue:\n"
	"  new [--title T]                     create issues/issue-N.md, N = next number\n"
	"  render ISSUE [--to EMAIL] [-o DIR]  write DIR/issue-N.html, .txt, .eml (preview)\n"
	"  check ISSUE                         pre-send lint; exit 1 on errors\n"
	"\n"
	"Send it:\n"
	"  send ISSUE [--list L] [--test EMAIL]... [--dry-run] [--yes] [--limit N]\n"
	"  status ISSUE [--failed]             who got it, who failed and why, who is pending\n"
	"\n"
	"Publish and manage:\n"
	"  archive [-o DIR]                    build the static web archive (default public/)\n"
	"  subscribers add|remove|import|export|list|count ...\n"
	"  lists                               each list with counts by status\n"
	"  serve [--listen ADDR:PORT]          unsubscribe / subscribe endpoints + archive\n"
	"  bounces [--mailbox SPEC | --stdin] [--dry-run] [--json]\n"
	"                                      read bounces, complaints, mailto unsubscribes\n"
	"  bounces scan [--json] FILE|DIR...   classify message files, no store, no network\n"
	"  backup FILE                         a consistent copy of the database, safe while in use\n"
	"\n"
	"ISSUE is issue-42, 42, or a path to the .md file.  CONFIG defaults to\n"
	"./config.ini; without one, built-in defaults apply and mail goes to the\n"
	"Maildir outbox/.  'newsbeat COMMAND --help' describes each command.\n"
	"Exit status: 0 success, 1 something failed, 2 usage or input error.\n";

static const struct {
	const char *name;
	int (*fn)(int, char **, struct config *);
} commands[] = {
	{ "new", cmd_new },
	{ "render", cmd_render },
	{ "check", cmd_check },
	{ "send", cmd_send },
	{ "status", cmd_status },
	{ "archive", cmd_archive },
	{ "subscribers", cmd_subscribers },
	{ "lists", cmd_lists },
	{ "serve", cmd_serve },
	{ "bounces", cmd_bounces },
	{ "backup", cmd_backup },
};

/*
 * The exit status when the config cannot be used: a usage error, except
 * for `bounces --stdin`, whose caller is an MTA: 2 would bounce the bounce
 * (or drop it), 75 keeps it queued until the config is fixed.
 */
static int config_failed(int argc, char **argv)
{
	int k;

	if (strcmp(argv[0], "bounces"))
		return EXIT_USAGE;
	for (k = 1; k < argc; k++)
		if (!strcmp(argv[k], "--stdin"))
			return EXIT_TEMPFAIL;
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	const char *config_path = NULL;
	struct config cfg;
	size_t i;
	int r;

	setlocale(LC_CTYPE, "C.UTF-8");
	/* Global options stop at the command name. */
	for (i = 1; i < (size_t)argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) {
			if (i + 1 >= (size_t)argc)
				return usage_error(usage, "option '%s' needs a file name", argv[i]);
			config_path = argv[++i];
		} else if (!strncmp(argv[i], "--config=", 9)) {
			config_path = argv[i] + 9;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			return show_help(usage);
		} else if (!strcmp(argv[i], "--version")) {
			printf("newsbeat %s\n", NEWSBEAT_VERSION);
			return EXIT_OK;
		} else {
			return usage_error(usage, "unknown option '%s'", argv[i]);
		}
	}
	if (i >= (size_t)argc)
		return usage_error(usage, "no command given");
	if (!strcmp(argv[i], "help")) {
		if (i + 1 < (size_t)argc) {
			char *help_argv[] = { argv[i + 1], (char *)"--help", NULL };
			size_t j;

			for (j = 0; j < ARRAY_SIZE(commands); j++)
				if (!strcmp(commands[j].name, argv[i + 1]))
					return commands[j].fn(2, help_argv, NULL);
			return usage_error(usage, "unknown command '%s'", argv[i + 1]);
		}
		return show_help(usage);
	}
	for (size_t j = 0; j < ARRAY_SIZE(commands); j++) {
		if (strcmp(commands[j].name, argv[i]))
			continue;
		/* --help needs no config, so it works anywhere. */
		if (wants_help(argc - (int)i, argv + i))
			return commands[j].fn(argc - (int)i, argv + i, NULL);
		if (config_load(&cfg, config_path) < 0)
			return config_failed(argc - (int)i, argv + i);
		/* A value that cannot go into a header fails here, never at a recipient. */
		if (config_headers_check(&cfg) < 0) {
			config_release(&cfg);
			return config_failed(argc - (int)i, argv + i);
		}
		r = commands[j].fn(argc - (int)i, argv + i, &cfg);
		config_release(&cfg);
		return r;
	}
	return usage_error(usage, "unknown command '%s' (see 'newsbeat --help')", argv[i]);
}
