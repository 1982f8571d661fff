/*
 * newsbeat new [--title T]: start the next issue from a skeleton.
 */
#include "base/common.h"
#include "base/clock.h"
#include "base/strbuf.h"
#include "base/fsutil.h"
#include "base/config.h"
#include "core/issue.h"
#include "core/compose.h"
#include "cmd/cmd.h"

#include <getopt.h>
#include <fcntl.h>
#include <unistd.h>
#include <time.h>

static const char usage[] =
	"usage: newsbeat new [--title T]\n"
	"\n"
	"Create issues/issue-N.md, N one more than the highest issue number there,\n"
	"with front matter filled in (title, issue, today's date) and a skeleton\n"
	"body to edit.  Prints the path.\n";

/* Append s as a YAML double-quoted scalar. */
static void add_yaml_quoted(struct strbuf *sb, const char *s)
{
	strbuf_addch(sb, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			strbuf_addch(sb, '\\');
		strbuf_addch(sb, *s);
	}
	strbuf_addch(sb, '"');
}

static int next_number(const char *dir, int *n)
{
	char **paths;
	size_t count, i;

	*n = 1;
	if (!is_dir(dir))
		return 0;
	if (issue_list(dir, &paths, &count) < 0)
		return -1;
	for (i = 0; i < count; i++) {
		const char *base = strrchr(paths[i], '/');
		int num;

		base = base ? base + 1 : paths[i];
		if (sscanf(base, "issue-%d.md", &num) == 1 && num >= *n)
			*n = num + 1;
		free(paths[i]);
	}
	free(paths);
	return 0;
}

int cmd_new(int argc, char **argv, struct config *cfg)
{
	static const struct option longopts[] = {
		{ "title", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *title = "Untitled issue";
	struct strbuf sb = STRBUF_INIT, path = STRBUF_INIT, name = STRBUF_INIT;
	time_t now = clock_now();
	struct tm tm;
	int opt, n, fd, ret = EXIT_USAGE;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "t:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 't': title = optarg; break;
		case 'h': return show_help(usage);
		default: return usage_error(usage, "unknown option");
		}
	}
	if (optind != argc)
		return usage_error(usage, "unexpected argument '%s' (quote the title: --title \"...\")", argv[optind]);
	/* The front matter's rule for a title, so the new file always parses. */
	if (issue_text_check(title, strlen(title), &sb) < 0) {
		ret = usage_error(usage, "--title %s", sb.buf);
		strbuf_release(&sb);
		return ret;
	}

	if (mkdir_p(cfg->issues_dir, 0755) < 0 || next_number(cfg->issues_dir, &n) < 0)
		goto out;
	gmtime_r(&now, &tm);
	strbuf_addstr(&sb, "---\ntitle: ");
	add_yaml_quoted(&sb, title);
	strbuf_addf(&sb, "\nissue: %d\ndate: %04d-%02d-%02d\n", n,
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	strbuf_addstr(&sb,
		"preheader: \"\"\n"
		"# subject: \"...\"      optional; default: \"<newsletter> #N: <title>\"\n"
		"# tags: [research]\n"
		"# draft: true          keeps it out of the archive\n"
		"---\n"
		"{{#subscriber.name}}Dear {{subscriber.name}},{{/subscriber.name}}"
		"{{^subscriber.name}}Dear colleague,{{/subscriber.name}}\n"
		"\n"
		"TODO: introduction.\n"
		"\n"
		"## Research highlights\n"
		"\n"
		"TODO\n"
		"\n"
		"## Upcoming dates\n"
		"\n"
		"- **DATE** — TODO\n"
		"\n"
		"The NewsBeat editors\n");

	strbuf_addf(&name, "issue-%d.md", n);
	path_join(&path, cfg->issues_dir, name.buf);
	/* O_EXCL: never overwrite an issue someone is editing. */
	fd = open(path.buf, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0) {
		error("cannot create '%s': %s", path.buf, strerror(errno));
		goto out;
	}
	if (write(fd, sb.buf, sb.len) != (ssize_t)sb.len || close(fd) < 0) {
		error("cannot write '%s': %s", path.buf, strerror(errno));
		unlink(path.buf);
		goto out;
	}
	printf("%s\n", path.buf);
	fprintf(stderr, "created issue %d; edit it, then 'newsbeat check %d' and 'newsbeat render %d'\n", n, n, n);
	ret = EXIT_OK;
out:
	strbuf_release(&sb);
	strbuf_release(&path);
	strbuf_release(&name);
	return ret;
}
