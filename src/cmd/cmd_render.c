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
#include "deliver/send_source.h"
#include "core/image.h"
#include "cmd/cmd.h"

#include <getopt.h>

static const char usage[] =
	"usage: newsbeat render ISSUE [--to EMAIL] [--name NAME] [-o DIR]\n"
	"\n"
	"Render ISSUE (issue-42, 42, or a path to the .md file) as one subscriber\n"
	"would receive it, and write DIR/issue-N.html (the HTML part), .txt (the\n"
	"text part) and .eml (the whole message; open it in any mail client).\n"
	"Images in issues/assets/ are shown in the .html from their files (a path\n"
	"relative to DIR); the .eml and .txt have the URL the archive publishes.\n"
	"\n"
	"  --to EMAIL   the recipient (default reader@example.org), or 'Name <EMAIL>'\n"
	"               as a mail client writes it (the name as with --name); a\n"
	"               member of the issue's list gets their stored name and attributes\n"
	"  --name NAME  the recipient's name, for {{subscriber.name}} (overrides\n"
	"               the stored one)\n"
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

struct render {
	struct compose *c;
	struct compose *c_view;	/* the .html: local images from the files */
	const struct issue *is;
	const char *outdir;
	const char *name;	/* --name, NULL if not given */
};

/* Compose the message for r and write its three files. 0 or -1 after error(). */
static int render_one(void *data, const struct compose_recipient *r)
{
	struct render *rd = data;
	struct compose_recipient rcpt = *r;
	struct strbuf boundary = STRBUF_INIT, eml = STRBUF_INIT, html = STRBUF_INIT;
	struct strbuf text = STRBUF_INIT, slug = STRBUF_INIT;
	struct compose_output out = { &eml, NULL, &text, NULL };
	struct compose_output view = { NULL, &html, NULL, NULL };
	int ret = -1;

	if (rd->name)
		rcpt.name = rd->name;
	/*
	 * The .eml and .txt are exactly what is sent; the .html is for a
	 * browser, so it shows local images from their files, not from the
	 * URL the archive will publish them at.
	 */
	if (compose_boundary(&boundary) < 0 ||
	    compose_message(rd->c, &rcpt, clock_now(), boundary.buf, NULL, &out) < 0 ||
	    compose_message(rd->c_view, &rcpt, clock_now(), boundary.buf, NULL, &view) < 0 ||
	    mkdir_p(rd->outdir, 0755) < 0)
		goto out;
	issue_slug(rd->is, &slug);
	if (write_part(rd->outdir, slug.buf, "html", &html) < 0 ||
	    write_part(rd->outdir, slug.buf, "txt", &text) < 0 ||
	    write_part(rd->outdir, slug.buf, "eml", &eml) < 0)
		goto out;
	ret = 0;
out:
	strbuf_release(&boundary);
	strbuf_release(&eml);
	strbuf_release(&html);
	strbuf_release(&text);
	strbuf_release(&slug);
	return ret;
}

/*
 * Render for a stored member when `email` is one (their name and
 * attributes), else for a stranger with only --name.  The database is
 * only read, and only if it exists: a preview creates nothing.
 */
static int render_for(const struct config *cfg, struct render *rd, const char *email,
		      const char *list)
{
	struct compose_recipient rcpt = { email, NULL, list, 0, NULL, NULL, NULL };
	struct send_source *src;
	int found;

	if (!path_exists(cfg->database))
		return render_one(rd, &rcpt);
	if (!(src = send_source_open(cfg)))
		return -1;
	found = send_source_find(src, list, email, render_one, rd);
	send_source_close(src);
	if (found < 0)
		return -1;
	if (found)
		return 0;
	if (strcmp(email, "reader@example.org"))
		fprintf(stderr, "note: %s is not a member of '%s': rendered without a stored name or "
			"attributes\n", email, list);
	return render_one(rd, &rcpt);
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
	struct strbuf path = STRBUF_INIT, email = STRBUF_INIT, to_name = STRBUF_INIT;
	struct render rd = { NULL, NULL, NULL, NULL, NULL };
	struct issue is;
	struct compose *c = NULL;
	struct image_map images = IMAGE_MAP_INIT, view_images = IMAGE_MAP_INIT;
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
	/* "Ann Smith <ann@example.org>", pasted from a mail client, is fine too. */
	if (strchr(to, '<') ? address_split_mailbox(to, &to_name, &email, &why) < 0
			    : address_validate(to, &email, &why) < 0) {
		error("--to '%s' is not a usable address: %s", to, why);
		goto out;
	}
	if (!name && to_name.len)
		name = to_name.buf;
	if (issue_resolve(cfg->issues_dir, argv[optind], &path) < 0 ||
	    issue_load(&is, path.buf) < 0)
		goto out;
	/* The .html shows local images from the files: paths relative to it. */
	if (mkdir_p(outdir, 0755) < 0)
		goto out_issue;
	c = compose_with_images(cfg, &is, NULL, &images);
	if (!c)
		goto out_issue;
	rd.c_view = images.n ? compose_with_images(cfg, &is, outdir, &view_images) : c;
	if (!rd.c_view)
		goto out_compose;
	rd.c = c;
	rd.is = &is;
	rd.outdir = outdir;
	rd.name = name;
	if (render_for(cfg, &rd, email.buf, is.list ? is.list : cfg->default_list) < 0)
		goto out_compose;
	note_development_key(cfg);
	ret = EXIT_OK;
out_compose:
	if (rd.c_view != c)
		compose_free(rd.c_view);
	compose_free(c);
out_issue:
	image_map_release(&images);
	image_map_release(&view_images);
	issue_release(&is);
out:
	strbuf_release(&path);
	strbuf_release(&to_name);
	strbuf_release(&email);
	return ret;
}
