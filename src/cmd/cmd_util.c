#include "base/common.h"
#include "base/config.h"
#include "base/utf8.h"
#include "cmd/cmd.h"
#include "base/strbuf.h"
#include "core/issue.h"
#include "core/compose.h"
#include "core/markdown.h"
#include "archive/archive_images.h"

#include <sys/stat.h>
#include <time.h>
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

void cmd_json_str(struct strbuf *sb, const char *s)
{
	size_t n, i = 0;

	if (!s) {
		strbuf_addstr(sb, "null");
		return;
	}
	n = strlen(s);
	strbuf_addch(sb, '"');
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t k;

		if (c == '"' || c == '\\') {
			strbuf_addch(sb, '\\');
			strbuf_addch(sb, (char)c);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			strbuf_addf(sb, "\\u%04x", c);
			i++;
		} else if (c < 0x80) {
			strbuf_addch(sb, (char)c);
			i++;
		} else if ((k = utf8_seq_len(s + i, n - i))) {
			strbuf_add(sb, s + i, k);
			i += k;
		} else {
			/* A byte that is not UTF-8 (an undeclared 8-bit charset): keep it readable as Latin-1. */
			strbuf_addf(sb, "\\u%04x", c);
			i++;
		}
	}
	strbuf_addch(sb, '"');
}

void warn_sender_blamed(int issue, long n)
{
	warning("issue %d: %ld rejection%s blamed the sending set-up (blocked, spam, policy, "
		"reputation, authentication): check the relay, SPF/DKIM/DMARC and the sending "
		"address's reputation", issue, n, n == 1 ? "" : "s");
}

static void report_nothing(const char *level, const char *msg)
{
	(void)level;
	(void)msg;
}

/* 1 if path's directory is [paths] issues (the same directory, by inode). */
static int in_issues_dir(const struct config *cfg, const char *path)
{
	const char *slash = strrchr(path, '/');
	struct strbuf dir = STRBUF_INIT;
	struct stat a, b;
	int r;

	if (slash)
		strbuf_add(&dir, path, (size_t)(slash - path + 1));
	else
		strbuf_addch(&dir, '.');
	r = stat(dir.buf, &a) == 0 && stat(cfg->issues_dir, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	strbuf_release(&dir);
	return r;
}

size_t issue_same_number(const struct config *cfg, const struct issue *is, char ***others)
{
	char **paths = NULL;
	size_t npaths = 0, n = 0, i;
	struct stat self;
	int have_self = stat(is->path, &self) == 0;

	*others = NULL;
	if (!in_issues_dir(cfg, is->path) || issue_list(cfg->issues_dir, &paths, &npaths) < 0)
		return 0;
	for (i = 0; i < npaths; i++) {
		struct stat st;
		struct issue other;
		report_fn old;
		int r;

		if (have_self && stat(paths[i], &st) == 0 && st.st_dev == self.st_dev &&
		    st.st_ino == self.st_ino) {
			free(paths[i]);
			continue;
		}
		/* A sibling that does not parse is its own check's business. */
		old = set_report_routine(report_nothing);
		r = issue_load(&other, paths[i]);
		set_report_routine(old);
		if (r == 0 && other.number == is->number) {
			struct strbuf shown_path = STRBUF_INIT;

			/* As issue_resolve shows paths: relative to the directory we are in. */
			if (issue_resolve(cfg->issues_dir, paths[i], &shown_path) < 0)
				strbuf_addstr(&shown_path, paths[i]);
			*others = xrealloc(*others, (n + 1) * sizeof(char *));
			(*others)[n++] = strbuf_detach(&shown_path, NULL);
		}
		free(paths[i]);
		issue_release(&other);
	}
	free(paths);
	return n;
}

void note_development_key(const struct config *cfg)
{
	if (config_secret(cfg))
		return;
	fflush(stdout);
	fprintf(stderr, "note: unsubscribe links are signed with a development key, so they will "
		"not work against a real 'newsbeat serve'; set %s before sending for real\n",
		cfg->secret_env);
}

struct compose *compose_with_images(const struct config *cfg, const struct issue *is,
				    const char *preview_dir, struct image_map *images)
{
	struct markdown *m = markdown_parse(is->body, is->body_len);

	archive_images_collect(cfg, m, preview_dir, images);
	markdown_free(m);
	return compose_prepare_images(cfg, is, config_secret(cfg), images);
}
