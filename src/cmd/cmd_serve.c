/*
 * newsbeat serve [--listen ADDR:PORT] [--timeout SECONDS]
 * Runs until SIGINT or SIGTERM, then stops cleanly: the listening socket
 * closes, requests in flight finish, the store is closed.
 */
#include "base/common.h"
#include "cmd/cmd.h"
#include "base/config.h"
#include "serve/serve.h"

#include <getopt.h>
#include <signal.h>

static const char usage[] =
	"usage: newsbeat serve [--listen ADDR:PORT] [--timeout SECONDS]\n"
	"\n"
	"Serve one-click unsubscribe (RFC 8058), the subscribe form with double\n"
	"opt-in, and the web archive ([paths] archive).  Meant to run behind a\n"
	"reverse proxy that terminates TLS; see the nginx snippet in README.md.\n"
	"\n"
	"  --listen ADDR:PORT   where to listen (default: [serve] listen, 127.0.0.1:8080)\n"
	"  --timeout SECONDS    close connections idle this long (default 15)\n"
	"\n"
	"Tokens in links are signed with the secret in the environment variable\n"
	"named by [serve] secret_env (NEWSBEAT_SECRET): the same secret as 'send'.\n"
	"Stop with Ctrl-C or SIGTERM.\n";

int cmd_serve(int argc, char **argv, struct config *cfg)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct serve_options opt = { 0 };
	struct serve *s;
	sigset_t stop;
	int c, sig = 0;
	char *end;

	if (wants_help(argc, argv))
		return show_help(usage);
	opt.listen = cfg->listen;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+l:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			opt.listen = optarg;
			break;
		case 't': {
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || v == 0 || v > 3600)
				return usage_error(usage, "--timeout wants 1..3600 seconds, not '%s'",
						   optarg);
			opt.timeout = (unsigned)v;
			break;
		}
		case 'h':
			return show_help(usage);
		default:
			return usage_error(usage, "unknown option");
		}
	}
	if (optind < argc)
		return usage_error(usage, "unexpected argument '%s'", argv[optind]);
	opt.secret = config_secret_required(cfg, "serving the unsubscribe and confirmation links");
	if (!opt.secret)
		return EXIT_USAGE;

	/*
	 * Block the stop signals before any thread starts, so that every
	 * server thread inherits the mask and only sigwait() below sees them.
	 */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!(s = serve_start(cfg, &opt)))
		return EXIT_FAILED;
	fprintf(stderr, "newsbeat: serving on %s (port %u); archive '%s'; stop with Ctrl-C\n",
		opt.listen, serve_port(s), cfg->archive_dir);
	fflush(stderr);
	while (sigwait(&stop, &sig) != 0)
		;
	fprintf(stderr, "newsbeat: %s received, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
	serve_stop(s);
	return EXIT_OK;
}
