/*
 * newsbeat check ISSUE — pre-send lint.  One line per finding,
 * "FILE:LINE: error|warning: message (what to do)", then a summary line.
 * Exit 1 if any error, 0 with warnings only, 2 if the issue cannot be read
 * or parsed.
 */
#include "base/common.h"
#include "base/clock.h"
#include "cmd/cmd.h"
#include "base/config.h"
#include "core/issue.h"
#include "core/lint.h"
#include "core/markdown.h"
#include "base/strbuf.h"

#include <ctype.h>

/*
 * The two checks that need the complete message (HTML part size, template
 * variables nothing fills) go through compose.h.
 */
#include "core/compose.h"
#include "core/image.h"
#include "archive/archive.h"
#include "store/store.h"
#include "base/fsutil.h"

static const char usage[] =
	"usage: newsbeat check ISSUE\n"
	"\n"
	"Check an issue before sending it.  ISSUE is issue-42, 42 or a path.\n"
	"Reports, one line each as FILE:LINE: error|warning: message (what to do):\n"
	"  errors:   bad or missing front matter fields; placeholders left in\n"
	"            (TK, TODO, FIXME, lorem ipsum); relative links or images\n"
	"            (but images in issues/assets/, written ![...](assets/NAME));\n"
	"            such an image whose file is missing; unsafe link schemes\n"
	"            (javascript:, data:, file:, ...); an HTML part over 102 KB\n"
	"            (Gmail clips it, hiding the unsubscribe link); template\n"
	"            variables nothing fills; a template (email or archive) that\n"
	"            is missing or does not compile; another issue file with\n"
	"            the same issue: number; a segment: whose terms do not parse\n"
	"            or name an attribute no member of the list has\n"
	"  warnings: images without alt text, over 1 MB, or not PNG, JPEG or\n"
	"            GIF (no width for Outlook); pipe tables, ~~strike~~ and\n"
	"            [^1] footnotes (not CommonMark); raw HTML (removed); an\n"
	"            HTML part over 90 KB\n"
	"\n"
	"Exit status: 0 no errors (warnings allowed), 1 errors found,\n"
	"2 the issue cannot be read or parsed.\n";

/* Parse errors arrive through error()/warning(): turn "FILE:LINE: msg" into findings. */
static struct lint *report_lint;
static const char *report_path;

static void check_report(const char *level, const char *msg)
{
	const char *colon = strchr(msg, ':');
	enum lint_level lv = !strcmp(level, "warning") ? LINT_WARNING : LINT_ERROR;

	while (colon && !isdigit((unsigned char)colon[1]))
		colon = strchr(colon + 1, ':');
	if (colon) {
		const char *p = colon + 1;
		int line = 0;
		char *file;

		while (isdigit((unsigned char)*p))
			line = line * 10 + (*p++ - '0');
		if (p[0] == ':' && p[1] == ' ' && line > 0) {
			file = xstrndup(msg, (size_t)(colon - msg));
			lint_add(report_lint, strcmp(file, report_path) ? file : NULL, line, lv,
				 NULL, "%s", p + 2);
			free(file);
			return;
		}
	}
	if (!strncmp(msg, report_path, strlen(report_path)) && msg[strlen(report_path)] == ':') {
		const char *p = msg + strlen(report_path) + 1;

		lint_add(report_lint, NULL, 0, lv, NULL, "%s", p + (*p == ' '));
		return;
	}
	/*
	 * Anything else (a template that cannot be read) is a finding too:
	 * send would stop on it, so check must not say "no problems found".
	 */
	lint_add(report_lint, NULL, 0, lv, NULL, "%s", msg);
}

static void on_unfilled(void *data, const char *name, const char *where, int line)
{
	void **d = data;

	lint_unfilled(d[0], d[1], name, where, line);
}

/* Render for a sample recipient: the HTML part's size and unfilled variables. */
static void check_composed(struct lint *l, const struct config *cfg, const struct issue *is,
			   const struct markdown *m)
{
	struct image_map images = IMAGE_MAP_INIT;
	struct compose *c = compose_with_images(cfg, is, NULL, &images);
	struct strbuf html = STRBUF_INIT;
	struct compose_output out = { NULL, &html, NULL, NULL };
	struct compose_recipient r = { "reader@example.org", "Sample Reader",
		is->list ? is->list : cfg->default_list, 0, NULL, NULL, NULL };
	void *d[2] = { l, (void *)is };

	lint_images(l, is, m, &images);
	image_map_release(&images);
	if (!c) {
		lint_add(l, NULL, 0, LINT_ERROR, "fix the template named above; send would stop here",
			 "the message cannot be built with the templates in '%s'", cfg->templates_dir);
		return;
	}
	if (compose_message(c, &r, clock_now(), "=_newsbeat-check", NULL, &out) == 0)
		lint_html_size(l, html.len);
	compose_each_unfilled(c, on_unfilled, d);
	strbuf_release(&html);
	compose_free(c);
}

/* Another issue file with the same number: send would resume its delivery. */
static void check_number(struct lint *l, const struct config *cfg, const struct issue *is)
{
	char **others;
	size_t n = issue_same_number(cfg, is, &others), i;

	for (i = 0; i < n; i++) {
		lint_add(l, NULL, 0, LINT_ERROR,
			 "give each issue its own number; 'newsbeat new' picks the next free one",
			 "'issue: %d' is also the number of '%s': sending one would resume the "
			 "other's delivery", is->number, others[i]);
		free(others[i]);
	}
	free(others);
}

/*
 * The front matter's segment, as send will read it: terms that parse
 * and, when there is a database, attributes some member of the list has.
 */
static void check_segment(const struct config *cfg, const struct issue *is)
{
	struct strbuf what = STRBUF_INIT;
	struct store_filter *f;
	struct store *st;

	if (!is->nsegment)
		return;
	strbuf_addf(&what, "%s:%d: segment", is->path, is->segment_line);
	f = store_filter_parse((const char *const *)is->segment, is->nsegment, what.buf);
	if (f && path_exists(cfg->database) && (st = store_open(cfg->database))) {
		store_filter_check(st, is->list ? is->list : cfg->default_list, f);
		store_close(st);
	}
	store_filter_free(f);
	strbuf_release(&what);
}

int cmd_check(int argc, char **argv, struct config *cfg)
{
	struct strbuf path = STRBUF_INIT;
	struct lint l = LINT_INIT;
	struct issue is;
	struct markdown *m;
	int i, r;
	const char *arg = NULL;

	if (wants_help(argc, argv))
		return show_help(usage);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--") && i + 1 < argc) {
			arg = argv[++i];
			if (i + 1 < argc)
				return usage_error(usage, "more than one issue given");
			break;
		}
		if (argv[i][0] == '-' && argv[i][1])
			return usage_error(usage, "unknown option '%s'", argv[i]);
		if (arg)
			return usage_error(usage, "more than one issue given");
		arg = argv[i];
	}
	if (!arg)
		return usage_error(usage, "no issue given");
	if (issue_resolve(cfg->issues_dir, arg, &path) < 0) {
		strbuf_release(&path);
		return EXIT_USAGE;
	}

	report_lint = &l;
	report_path = path.buf;
	set_report_routine(check_report);
	if (issue_load(&is, path.buf) < 0) {
		set_report_routine(NULL);
		lint_sort(&l);
		lint_print(&l, path.buf, stdout);
		issue_release(&is);
		lint_release(&l);
		strbuf_release(&path);
		return EXIT_USAGE;
	}
	m = markdown_parse(is.body, is.body_len);
	lint_issue(&l, &is, m);
	check_composed(&l, cfg, &is, m);
	check_number(&l, cfg, &is);
	check_segment(cfg, &is);
	/* send builds the archive before the first message: its templates too. */
	if (archive_check_templates(cfg) < 0)
		lint_add(&l, NULL, 0, LINT_ERROR, "fix the template named above; send would stop here",
			 "the archive cannot be built with the templates in '%s'", cfg->templates_dir);
	set_report_routine(NULL);

	lint_sort(&l);
	lint_print(&l, path.buf, stdout);
	r = lint_count(&l, LINT_ERROR) ? EXIT_FAILED : EXIT_OK;
	markdown_free(m);
	issue_release(&is);
	lint_release(&l);
	strbuf_release(&path);
	return r;
}
