/*
 * newsbeat bounces scan [--json] FILE|DIR...
 * Classify message files with the bounce parser: no store, no network, no
 * config.  For people asking "why was this called hard?" and for tests.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/fsutil.h"
#include "base/utf8.h"
#include "bounce/bounce.h"
#include "bounce/mbox.h"
#include "cmd/cmd.h"

#include <dirent.h>
#include <getopt.h>

static const char usage[] =
	"usage: newsbeat bounces scan [--json] FILE|DIR...\n"
	"\n"
	"Classify bounce, complaint, auto-reply and unsubscribe messages read from\n"
	"files, and say why: one line per message with its kind (hard, soft,\n"
	"complaint, unsubscribe, autoreply, delayed, delivered, report, unknown) and\n"
	"each recipient's status code and reason.  Nothing is changed and nothing is\n"
	"sent; no config is needed.\n"
	"\n"
	"A FILE is one message, or an mbox when it starts with \"From \" (each\n"
	"message is then FILE#N).  A DIR is a Maildir (its cur/ and new/) or a\n"
	"directory of message files (not descended into).  Counts by kind go to\n"
	"stderr.\n"
	"\n"
	"  --json   one JSON object per line and message:\n"
	"           {\"file\":..., \"kind\":..., \"recipients\":[{\"address\":...,\n"
	"            \"status\":\"5.1.1\", \"kind\":..., \"reason\":..., \"diagnostic\":...}]}\n"
	"\n"
	"Exit status: 0, or 1 when a file or directory could not be read.\n";

struct scan {
	int json;
	int failed;
	long counts[BOUNCE_NKINDS];
	long total;
	struct strbuf out;
	const char *path;	/* of the file being split */
	size_t nmsg, idx;	/* messages in it, this one (1-based) */
};

/* Text for the human line: control characters and invalid bytes as '?'. */
static void plain_str(struct strbuf *sb, const char *s)
{
	size_t n = strlen(s), i = 0, k;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80 && (k = utf8_seq_len(s + i, n - i))) {
			strbuf_add(sb, s + i, k);
			i += k;
			continue;
		}
		strbuf_addch(sb, (c < 0x20 || c >= 0x7f) ? '?' : (char)c);
		i++;
	}
}

static void print_json(struct scan *sc, const char *name, const struct bounce_message *m)
{
	struct strbuf *sb = &sc->out;

	strbuf_addstr(sb, "{\"file\":");
	cmd_json_str(sb, name);
	strbuf_addstr(sb, ",\"kind\":");
	cmd_json_str(sb, bounce_kind_name(m->kind));
	if (m->feedback_type) {
		strbuf_addstr(sb, ",\"feedback_type\":");
		cmd_json_str(sb, m->feedback_type);
	}
	if (m->unsubscribe_token) {
		strbuf_addstr(sb, ",\"unsubscribe_token\":");
		cmd_json_str(sb, m->unsubscribe_token);
	}
	if (m->orig_message_id) {
		strbuf_addstr(sb, ",\"original_message_id\":");
		cmd_json_str(sb, m->orig_message_id);
	}
	strbuf_addstr(sb, ",\"recipients\":[");
	for (size_t i = 0; i < m->nrcpt; i++) {
		const struct bounce_recipient *r = &m->rcpt[i];

		strbuf_addstr(sb, i ? ",{\"address\":" : "{\"address\":");
		cmd_json_str(sb, r->address);
		strbuf_addstr(sb, ",\"status\":");
		cmd_json_str(sb, r->status[0] ? r->status : NULL);
		if (r->reply_code)
			strbuf_addf(sb, ",\"reply_code\":%d", r->reply_code);
		strbuf_addstr(sb, ",\"kind\":");
		cmd_json_str(sb, bounce_kind_name(r->kind));
		strbuf_addstr(sb, ",\"reason\":");
		cmd_json_str(sb, r->reason);
		strbuf_addf(sb, ",\"blames_sender\":%s", r->blames_sender ? "true" : "false");
		strbuf_addstr(sb, ",\"diagnostic\":");
		cmd_json_str(sb, r->diagnostic);
		strbuf_addch(sb, '}');
	}
	strbuf_addstr(sb, "]}\n");
}

static void print_human(struct scan *sc, const char *name, const struct bounce_message *m)
{
	struct strbuf *sb = &sc->out;

	plain_str(sb, name);
	strbuf_addf(sb, "  %s", bounce_kind_name(m->kind));
	if (m->feedback_type) {
		strbuf_addstr(sb, " (");
		plain_str(sb, m->feedback_type);
		strbuf_addch(sb, ')');
	}
	for (size_t i = 0; i < m->nrcpt; i++) {
		const struct bounce_recipient *r = &m->rcpt[i];

		strbuf_addstr(sb, i ? ", " : "  ");
		plain_str(sb, r->address ? r->address : "?");
		strbuf_addf(sb, " %s %s %s%s", bounce_kind_name(r->kind), r->status[0] ? r->status : "-",
			    r->reason, r->blames_sender ? " (blames the sender)" : "");
	}
	strbuf_addch(sb, '\n');
}

static void scan_message(struct scan *sc, const char *name, const char *data, size_t len)
{
	struct bounce_message m;

	bounce_parse(data, len, &m);
	sc->counts[m.kind]++;
	sc->total++;
	strbuf_reset(&sc->out);
	if (sc->json)
		print_json(sc, name, &m);
	else
		print_human(sc, name, &m);
	fwrite(sc->out.buf, 1, sc->out.len, stdout);
	bounce_message_release(&m);
}

static int count_cb(void *ctx, const char *msg, size_t msglen, size_t offset)
{
	(void)msg, (void)msglen, (void)offset;
	(*(size_t *)ctx)++;
	return 0;
}

static int mbox_cb(void *ctx, const char *msg, size_t msglen, size_t offset)
{
	struct scan *sc = ctx;
	struct strbuf name = STRBUF_INIT;

	(void)offset;
	sc->idx++;
	if (sc->nmsg > 1)
		strbuf_addf(&name, "%s#%zu", sc->path, sc->idx);
	else
		strbuf_addstr(&name, sc->path);
	scan_message(sc, name.buf, msg, msglen);
	strbuf_release(&name);
	return 0;
}

static void scan_file(struct scan *sc, const char *path)
{
	struct strbuf data = STRBUF_INIT;

	if (strbuf_read_file(&data, path) < 0) {
		error("cannot read '%s': %s", path, strerror(errno));
		sc->failed = 1;
	} else if (data.len >= 5 && !memcmp(data.buf, "From ", 5)) {
		sc->path = path;
		sc->nmsg = 0;
		sc->idx = 0;
		mbox_split(data.buf, data.len, count_cb, &sc->nmsg);
		mbox_split(data.buf, data.len, mbox_cb, sc);
	} else {
		scan_message(sc, path, data.buf, data.len);
	}
	strbuf_release(&data);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of dir, sorted, skipping dot files. */
static void scan_dir_files(struct scan *sc, const char *dir)
{
	struct strbuf p = STRBUF_INIT;
	char **names = NULL;
	size_t n = 0, alloc = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d) {
		error("cannot read directory '%s': %s", dir, strerror(errno));
		sc->failed = 1;
		return;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		ALLOC_GROW(names, n + 1, alloc);
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		strbuf_reset(&p);
		path_join(&p, dir, names[i]);
		if (!is_dir(p.buf))
			scan_file(sc, p.buf);
		free(names[i]);
	}
	free(names);
	strbuf_release(&p);
}

static void scan_path(struct scan *sc, const char *path)
{
	struct strbuf sub = STRBUF_INIT;

	if (!is_dir(path)) {
		scan_file(sc, path);
		return;
	}
	path_join(&sub, path, "cur");
	if (is_dir(sub.buf)) {
		/* A Maildir: what was read (cur/) and what was not yet (new/). */
		scan_dir_files(sc, sub.buf);
		strbuf_reset(&sub);
		path_join(&sub, path, "new");
		if (is_dir(sub.buf))
			scan_dir_files(sc, sub.buf);
	} else {
		strbuf_reset(&sub);
		path_join(&sub, path, "new");
		scan_dir_files(sc, is_dir(sub.buf) ? sub.buf : path);
	}
	strbuf_release(&sub);
}

int cmd_bounces_scan(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct scan sc;
	int opt;

	memset(&sc, 0, sizeof(sc));
	strbuf_init(&sc.out, 1024);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j': sc.json = 1; break;
		case 'h': strbuf_release(&sc.out); return show_help(usage);
		default: strbuf_release(&sc.out); return usage_error(usage, "unknown option");
		}
	}
	if (optind >= argc) {
		strbuf_release(&sc.out);
		return usage_error(usage, "which files? e.g. 'newsbeat bounces scan ~/Maildir/.bounces'");
	}
	for (int i = optind; i < argc; i++)
		scan_path(&sc, argv[i]);
	fflush(stdout);
	if (!sc.json) {
		fprintf(stderr, "%ld message%s", sc.total, sc.total == 1 ? "" : "s");
		for (int k = BOUNCE_NKINDS - 1; k >= 0; k--)
			if (sc.counts[k])
				fprintf(stderr, ", %ld %s", sc.counts[k], bounce_kind_name((enum bounce_kind)k));
		fputc('\n', stderr);
	}
	strbuf_release(&sc.out);
	return sc.failed ? EXIT_FAILED : EXIT_OK;
}
