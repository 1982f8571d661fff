/*
 * newsbeat archive [-o DIR] — build the static web archive (see archive.h).
 */
#include "base/common.h"
#include "base/clock.h"
#include "base/strbuf.h"
#include "base/config.h"
#include "core/compose.h"
#include "archive/archive.h"
#include "cmd/cmd.h"

#include <getopt.h>

static const char usage[] =
	"usage: newsbeat archive [-o DIR] [--quiet]\n"
	"\n"
	"Build the static web archive of the published issues: index.html,\n"
	"issues/issue-N.html (the email's \"view in browser\" page), tags/,\n"
	"feed.xml (Atom), sitemap.xml, search, and issues/assets/ if present.\n"
	"Drafts and issues dated in the future are left out.  The archive is\n"
	"built beside DIR and swapped in, so a failed build leaves the previous\n"
	"one intact; unchanged issue pages are reused.\n"
	"\n"
	"  -o DIR     where to write (default: [paths] archive, public/)\n"
	"  -q, --quiet  print nothing on success\n";

int cmd_archive(int argc, char **argv, struct config *cfg)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* cfg is NULL for --help (main.c): read it only after the options. */
	const char *outdir = NULL;
	struct archive_stats st;
	int opt, quiet = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o': outdir = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': return show_help(usage);
		default: return usage_error(usage, "unknown option");
		}
	}
	if (optind != argc)
		return usage_error(usage, "unexpected argument '%s'", argv[optind]);
	if (!outdir)
		outdir = cfg->archive_dir;
	if (!*outdir)
		return usage_error(usage, "-o needs a directory");
	if (archive_build(cfg, outdir, clock_now(), &st) < 0) {
		error("archive not built; the previous one in '%s' is unchanged", outdir);
		return EXIT_FAILED;
	}
	if (!quiet) {
		printf("archive: %zu issue%s (%zu rendered, %zu reused), %zu draft or future left out\n",
		       st.published, st.published == 1 ? "" : "s", st.rendered,
		       st.published - st.rendered, st.skipped);
		printf("open %s/index.html\n", outdir);
	}
	return EXIT_OK;
}
