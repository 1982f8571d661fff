/*
 * newsbeat render ISSUE [--to EMAIL] [--name NAME] [-o DIR]
 * A preview of exactly what one subscriber would receive.
 */
#include "base/common.h"
#include "base/clock.h"
#include "base/strbuf.h"
#include "base/fsutil.h"
#include "base/config.h"
#include "core/issue.h"
#include "core/address.h"
#include "core/token.h"
#include "core/compose.h"
#include "cmd/cmd.h"

#include <getopt.h>

static const char usage[] =
	"usage: newsbeat render ISSUE [--to EMAIL] [--name NAME] [-o DIR]\n"
	"\n"
	"Render ISSUE (issue-42, 42, or a path to the .md file) as one subscriber\n"
	"would receive it, and write DIR/issue-N.html (the HTML part), .txt (the\n"
	"text part) and .eml (the whole message; open it in any mail client).\n"
	"\n"
	"  --to EMAIL   the recipient (default reader@example.org)\n"
	"  --name NAME  the recipient's name, for {{subscriber.name}}\n"
	"  -o DIR       where to write (default: preview/)\n"
	"\n"
	"Unsubscribe links are signed with the secret in the environment variable\n"
	"[serve] secret_env names (NEWSBEAT_SECRET); without it, a development key.\n";

static int write_part(const char *dir, const char *slug, const char *ext,
		      const struct strbuf *data)
{
	struct strbuf path = STRBUF_INIT, name = STRBUF_INIT;
	int r;

	strbuf_addf(&name, "%s.%s", slug, ext);
	path_join(&path, dir, name.buf);
	r = write_file_atomic(path.buf, data->buf, data->len, 0644);
	if (r == 0)
		printf("wrote %s\n", path.buf);
	strbuf_release(&path);
	strbuf_release(&name);
	return r;
}

int cmd_render(int argc, char **argv, struct config *cfg)
{
	static const struct option longopts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "name", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *to = "reader@example.org", *name = NULL, *outdir = "preview";
	struct strbuf path = STRBUF_INIT, email = STRBUF_INIT, boundary = STRBUF_INIT;
	struct strbuf eml = STRBUF_INIT, html = STRBUF_INIT, text = STRBUF_INIT;
	struct strbuf slug = STRBUF_INIT;
	struct compose_output out = { &eml, &html, &text, NULL };
	struct compose_recipient rcpt;
	struct issue is;
	struct compose *c = NULL;
	const char *why;
	int opt, ret = EXIT_USAGE;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "t:n:o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 't': to = optarg; break;
		case 'n': name = optarg; break;
		case 'o': outdir = optarg; break;
		case 'h': return show_help(usage);
		default: return usage_error(usage, "unknown option");
		}
	}
	if (optind != argc - 1)
		return usage_error(usage, optind >= argc ? "which issue? e.g. 'newsbeat render issue-42'"
							 : "too many arguments");
	if (address_validate(to, &email, &why) < 0) {
		error("--to '%s' is not a usable address: %s", to, why);
		goto out;
	}
	if (issue_resolve(cfg->issues_dir, argv[optind], &path) < 0 ||
	    issue_load(&is, path.buf) < 0)
		goto out;
	c = compose_prepare(cfg, &is, config_secret(cfg));
	if (!c)
		goto out_issue;
	memset(&rcpt, 0, sizeof(rcpt));
	rcpt.email = email.buf;
	rcpt.name = name;
	rcpt.list = is.list ? is.list : cfg->default_list;
	if (compose_boundary(&boundary) < 0 ||
	    compose_message(c, &rcpt, clock_now(), boundary.buf, NULL, &out) < 0)
		goto out_compose;
	if (mkdir_p(outdir, 0755) < 0)
		goto out_compose;
	issue_slug(&is, &slug);
	if (write_part(outdir, slug.buf, "html", &html) < 0 ||
	    write_part(outdir, slug.buf, "txt", &text) < 0 ||
	    write_part(outdir, slug.buf, "eml", &eml) < 0)
		goto out_compose;
	if (!config_secret(cfg))
		fprintf(stderr, "note: unsubscribe links are signed with a development key; "
			"set %s before sending for real\n", cfg->secret_env);
	ret = EXIT_OK;
out_compose:
	compose_free(c);
out_issue:
	issue_release(&is);
out:
	strbuf_release(&path);
	strbuf_release(&email);
	strbuf_release(&boundary);
	strbuf_release(&eml);
	strbuf_release(&html);
	strbuf_release(&text);
	strbuf_release(&slug);
	return ret;
}
