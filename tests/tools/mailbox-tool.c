/*
 * mailbox-tool: drives src/bounce/mailbox.h from the end-to-end tests,
 * the way `newsbeat bounces` does, without a store or a classifier.
 *
 *   mailbox-tool [--dry-run] [--dispose processed|unrecognized|keep]
 *                [--processed move:FOLDER|seen|delete] [--ca-file FILE]
 *                [--tls-none] [--save DIR] SPEC
 *
 * Prints "opened DESCRIPTION", "count N" (the mailbox's count, -1 if
 * unknown), then "ID SIZE" for each message, disposing of each as told
 * (and with --save writing it to DIR/1.eml, DIR/2.eml, ...); the
 * password comes from $NEWSBEAT_BOUNCES_PASSWORD.  Exit 0, or 1 after an
 * error.
 */
#include "base/common.h"
#include "bounce/mailbox.h"

#include <getopt.h>
#include <signal.h>

static void usage(void)
{
	fputs("usage: mailbox-tool [--dry-run] [--dispose processed|unrecognized|keep]\n"
	      "                    [--processed move:FOLDER|seen|delete] [--ca-file FILE]\n"
	      "                    [--tls-none] [--save DIR] SPEC\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "dispose", required_argument, NULL, 'd' },
		{ "processed", required_argument, NULL, 'p' },
		{ "ca-file", required_argument, NULL, 'c' },
		{ "tls-none", no_argument, NULL, 't' },
		{ "save", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct mailbox_opts o = { 0 };
	enum mailbox_disposition disp = MAILBOX_KEEP;
	struct mailbox *mb;
	struct mailbox_msg m;
	const char *save = NULL;
	long n = 0;
	int c, r, ret = 0;

	signal(SIGPIPE, SIG_IGN);
	o.processed = "move:newsbeat-processed";
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': o.read_only = 1; break;
		case 'p': o.processed = optarg; break;
		case 'c': o.ca_file = optarg; break;
		case 't': o.tls_none = 1; break;
		case 's': save = optarg; break;
		case 'd':
			if (!strcmp(optarg, "processed"))
				disp = MAILBOX_PROCESSED;
			else if (!strcmp(optarg, "unrecognized"))
				disp = MAILBOX_UNRECOGNIZED;
			else if (!strcmp(optarg, "keep"))
				disp = MAILBOX_KEEP;
			else
				usage();
			break;
		default: usage();
		}
	}
	if (optind + 1 != argc)
		usage();
	o.spec = argv[optind];
	o.password = getenv("NEWSBEAT_BOUNCES_PASSWORD");
	mb = mailbox_open(&o);
	if (!mb)
		return 1;
	printf("opened %s\ncount %ld\n", mailbox_describe(mb), mailbox_count(mb));
	while ((r = mailbox_next(mb, &m)) == 1) {
		printf("%s %zu\n", m.id, m.len);
		if (save) {
			char path[4096];
			FILE *f;

			snprintf(path, sizeof(path), "%s/%ld.eml", save, ++n);
			f = fopen(path, "wb");
			if (!f || fwrite(m.data, 1, m.len, f) != m.len || fclose(f)) {
				perror(path);
				ret = 1;
			}
		}
		if (mailbox_dispose(mb, &m, disp) < 0)
			ret = 1;
		mailbox_msg_release(&m);
	}
	if (r < 0)
		ret = 1;
	mailbox_close(mb);
	return ret;
}
