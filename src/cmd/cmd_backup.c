/*
 * newsbeat backup FILE: a consistent copy of the database while send,
 * serve or an import may be using it (SQLite's online backup).
 */
#include "base/common.h"
#include "base/config.h"
#include "store/store.h"
#include "cmd/cmd.h"

#include <sys/stat.h>

static const char usage[] =
	"usage: newsbeat backup FILE\n"
	"\n"
	"Write a consistent copy of the database ([paths] database, newsbeat.db)\n"
	"to FILE, safe while 'send', 'serve' or an import is running.  FILE is\n"
	"replaced only by a complete copy, and is readable only by you (0600):\n"
	"it holds every subscriber's address.\n"
	"\n"
	"To restore: stop 'serve' and anything that sends, then\n"
	"  rm -f newsbeat.db-wal newsbeat.db-shm && cp FILE newsbeat.db\n";

/*
 * Whether path names the database, however it is spelt ("./newsbeat.db",
 * a symlink): replacing the live file would pull it from under a running
 * serve, with its -wal and -shm files left beside the new one.
 */
static int same_file(const char *path, const char *database)
{
	struct stat a, b;

	if (!strcmp(path, database))
		return 1;
	return stat(path, &a) == 0 && stat(database, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int cmd_backup(int argc, char **argv, struct config *cfg)
{
	struct store *st;
	int r;

	if (wants_help(argc, argv))
		return show_help(usage);
	if (argc > 1 && argv[1][0] == '-' && argv[1][1])
		return usage_error(usage, "unknown option '%s'", argv[1]);
	if (argc != 2)
		return usage_error(usage, argc < 2 ? "where to? e.g. 'newsbeat backup newsbeat-2026-12-03.db'"
					     : "too many arguments");
	if (same_file(argv[1], cfg->database))
		return usage_error(usage, "'%s' is the database itself", argv[1]);
	if (need_database(cfg) < 0 || !(st = store_open(cfg->database)))
		return EXIT_FAILED;
	r = store_backup(st, argv[1]);
	store_close(st);
	if (r < 0)
		return EXIT_FAILED;
	printf("backed up %s to %s\n", cfg->database, argv[1]);
	return EXIT_OK;
}
