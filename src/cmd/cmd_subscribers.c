/*
 * newsbeat subscribers add|remove|import|export|list|count
 * Every address passes address_validate(); every change goes through the
 * store (store.h), which keeps unsubscribes sticky.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/fsutil.h"
#include "base/config.h"
#include "core/address.h"
#include "store/store.h"
#include "store/store_import.h"
#include "core/csvio.h"
#include "core/issue.h"
#include "cmd/cmd.h"

#include <getopt.h>
#include <strings.h>

static const char usage[] =
	"usage: newsbeat subscribers add EMAIL [--name N] [--list L] [--attr KEY=VALUE]... [--resubscribe]\n"
	"       newsbeat subscribers remove EMAIL [--list L]\n"
	"       newsbeat subscribers import FILE.csv|- [--list L] [--dry-run] [--resubscribe] [--delimiter D]\n"
	"                                      [--encoding utf8|latin1|cp1252]\n"
	"       newsbeat subscribers export [--list L] [--where KEY=VALUE]... [-o FILE|-]\n"
	"       newsbeat subscribers list [--list L] [--status S] [--where KEY=VALUE]...\n"
	"       newsbeat subscribers count [--list L] [--where KEY=VALUE]... [--json]\n"
	"\n"
	"L defaults to [newsletter] default_list.  Someone who unsubscribed, bounced\n"
	"or complained is not re-activated by add or import without --resubscribe.\n"
	"CSV: a header row naming the columns; 'email' is required, 'name' optional,\n"
	"every other column becomes an attribute usable as {{subscriber.<column>}}.\n"
	"An 'E-mail', 'Email Address' or 'Mail' column is the email column.  The\n"
	"delimiter (',' ';' or tab) is detected from the header row; --delimiter\n"
	"sets it (',', ';' or 'tab').  The file must be UTF-8 unless --encoding\n"
	"says it is Latin-1 or Windows-1252 (Excel's \"CSV\" on Windows).\n"
	"S is active, pending, unsubscribed, bounced or complained.\n"
	"--where KEY=VALUE keeps the members whose attribute KEY is VALUE (KEY!=VALUE:\n"
	"is not VALUE); repeated, all must hold: the segment 'send --where' mails.\n"
	"remove, export, list and count need an existing list; add and import\n"
	"create it.\n"
	"import - reads the CSV from standard input; export writes to standard\n"
	"output, also with -o - (a file named '-' is ./-).\n";

struct opts {
	const char *list, *name, *output, *status;
	char delim;		/* --delimiter, 0: detect */
	enum store_import_encoding encoding;	/* --encoding */
	int resubscribe, dry_run, json;
	struct strbuf attrs;	/* "key\0value\0" pairs */
	size_t nattrs;
	char **wheres;		/* --where terms, as given */
	size_t nwheres, wheres_alloc;
	struct store_filter *where;	/* parsed; NULL: the whole list */
};

/*
 * The options, and which actions take them: an option an action does not
 * take is a usage error, never silently ignored (list --attr, count
 * --status, ...).
 */
static const struct option longopts[] = {
	{ "list", required_argument, NULL, 'l' },
	{ "name", required_argument, NULL, 'n' },
	{ "attr", required_argument, NULL, 'a' },
	{ "output", required_argument, NULL, 'o' },
	{ "status", required_argument, NULL, 's' },
	{ "resubscribe", no_argument, NULL, 'R' },
	{ "dry-run", no_argument, NULL, 'D' },
	{ "json", no_argument, NULL, 'J' },
	{ "delimiter", required_argument, NULL, 'd' },
	{ "encoding", required_argument, NULL, 'e' },
	{ "where", required_argument, NULL, 'w' },
	{ NULL, 0, NULL, 0 },
};

static const struct {
	const char *name, *opts;	/* the option values it takes */
} actions[] = {
	{ "add", "lnaR" },
	{ "remove", "l" },
	{ "import", "lDRde" },
	{ "export", "low" },
	{ "list", "lsw" },
	{ "count", "lJw" },
};

static const char *action_opts(const char *sub)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(actions); i++)
		if (!strcmp(actions[i].name, sub))
			return actions[i].opts;
	return NULL;
}

static const char *long_name(int val)
{
	size_t i;

	for (i = 0; longopts[i].name; i++)
		if (longopts[i].val == val)
			return longopts[i].name;
	return "?";
}

/* The option getopt_long() just complained about, as the user wrote it. */
static void bad_option(struct strbuf *out, char **argv)
{
	const char *arg = argv[optind - 1];

	if (optopt && !(arg[0] == '-' && arg[1] == '-'))
		strbuf_addf(out, "-%c", optopt);
	else
		strbuf_add(out, arg, strcspn(arg, "="));
}

static int parse_opts(int argc, char **argv, struct opts *o, const struct config *cfg)
{
	const char *sub = argv[1], *allowed = action_opts(sub);
	struct strbuf what = STRBUF_INIT;
	int opt, r;

	o->list = cfg->default_list;
	optind = 2;
	opterr = 0;	/* reported below, with the action */
	while ((opt = getopt_long(argc, argv, ":l:n:a:o:s:d:e:w:", longopts, NULL)) != -1) {
		if (opt == '?' || opt == ':') {
			bad_option(&what, argv);
			r = opt == '?'
				? usage_error(usage, "'subscribers %s': unknown option '%s'", sub, what.buf)
				: usage_error(usage, "'subscribers %s': option '%s' needs a value", sub, what.buf);
			strbuf_release(&what);
			return r;
		}
		if (!strchr(allowed, opt))
			return usage_error(usage, "'subscribers %s' does not take --%s", sub, long_name(opt));
		switch (opt) {
		case 'l':
			/* The front matter's rule for list:, so both name the same lists. */
			if (issue_list_check(optarg, &what) < 0) {
				r = usage_error(usage, "--list %s", what.buf);
				strbuf_release(&what);
				return r;
			}
			o->list = optarg;
			break;
		case 'n': o->name = optarg; break;
		case 'o': o->output = optarg; break;
		case 's': o->status = optarg; break;
		case 'R': o->resubscribe = 1; break;
		case 'D': o->dry_run = 1; break;
		case 'J': o->json = 1; break;
		case 'w':
			ALLOC_GROW(o->wheres, o->nwheres + 1, o->wheres_alloc);
			o->wheres[o->nwheres++] = optarg;
			break;
		case 'e':
			if (!strcasecmp(optarg, "utf8") || !strcasecmp(optarg, "utf-8"))
				o->encoding = STORE_IMPORT_UTF8;
			else if (!strcasecmp(optarg, "latin1") || !strcasecmp(optarg, "iso-8859-1"))
				o->encoding = STORE_IMPORT_LATIN1;
			else if (!strcasecmp(optarg, "cp1252") || !strcasecmp(optarg, "windows-1252"))
				o->encoding = STORE_IMPORT_CP1252;
			else
				return usage_error(usage, "--encoding takes utf8, latin1 or cp1252 (got '%s')", optarg);
			break;
		case 'd':
			if (!strcmp(optarg, ",") || !strcmp(optarg, ";"))
				o->delim = optarg[0];
			else if (!strcmp(optarg, "tab") || !strcmp(optarg, "\t"))
				o->delim = '\t';
			else
				return usage_error(usage, "--delimiter takes ',', ';' or 'tab' (got '%s')", optarg);
			break;
		case 'a': {
			const char *eq = strchr(optarg, '=');

			if (!eq || eq == optarg)
				return usage_error(usage, "--attr takes KEY=VALUE (got '%s')", optarg);
			strbuf_add(&o->attrs, optarg, (size_t)(eq - optarg));
			strbuf_addch(&o->attrs, '\0');
			strbuf_addstr(&o->attrs, eq + 1);
			strbuf_addch(&o->attrs, '\0');
			o->nattrs++;
			break;
		}
		}
	}
	if (!*o->list)
		return usage_error(usage, "the list name must not be empty");
	return 0;
}

static const char *skip_reason(enum store_status s)
{
	return s == STORE_NONE ? "suppressed" : store_status_name(s);
}

static int do_add(struct store *st, const char *arg, struct opts *o)
{
	struct strbuf email = STRBUF_INIT;
	const char **keys = xcalloc(o->nattrs + 1, sizeof(*keys));
	const char **values = xcalloc(o->nattrs + 1, sizeof(*values));
	struct store_subscriber sub;
	enum store_result res;
	enum store_status why;
	const char *reason, *p = o->attrs.buf;
	size_t i;
	int ret = EXIT_USAGE;

	for (i = 0; i < o->nattrs; i++) {
		keys[i] = p;
		p += strlen(p) + 1;
		values[i] = p;
		p += strlen(p) + 1;
		if (!store_attr_key_valid(keys[i])) {
			error("--attr '%s': keys are lower-case letters, digits and '_'", keys[i]);
			goto out;
		}
	}
	if (address_validate(arg, &email, &reason) < 0) {
		error("'%s' is not a usable address: %s", arg, reason);
		goto out;
	}
	if (o->name && address_check_name(o->name, &reason) < 0) {
		error("--name cannot be used: %s", reason);
		goto out;
	}
	sub.email = email.buf;
	sub.name = o->name;
	sub.nattrs = o->nattrs;
	sub.attr_keys = keys;
	sub.attr_values = values;
	if (store_subscribe(st, &sub, o->list, o->resubscribe ? STORE_RESUBSCRIBE : 0, &res, &why) < 0) {
		ret = EXIT_FAILED;
		goto out;
	}
	switch (res) {
	case STORE_ADDED: printf("added %s to '%s'\n", email.buf, o->list); break;
	case STORE_UPDATED: printf("updated %s on '%s'\n", email.buf, o->list); break;
	case STORE_UNCHANGED: printf("%s is already on '%s'\n", email.buf, o->list); break;
	case STORE_SKIPPED:
		printf("skipped %s: %s on '%s' (use --resubscribe only with their consent)\n",
		       email.buf, skip_reason(why), o->list);
		break;
	}
	ret = EXIT_OK;
out:
	free(keys);
	free(values);
	strbuf_release(&email);
	return ret;
}

static int do_remove(struct store *st, const char *arg, struct opts *o)
{
	struct strbuf email = STRBUF_INIT;
	const char *reason;
	int r;

	if (address_validate(arg, &email, &reason) < 0) {
		error("'%s' is not a usable address: %s", arg, reason);
		strbuf_release(&email);
		return EXIT_USAGE;
	}
	r = store_unsubscribe(st, email.buf, o->list, "cli");
	if (r == STORE_NONE)
		printf("%s is not on '%s'; nothing changed\n", email.buf, o->list);
	else if (r >= 0)
		printf("unsubscribed %s from '%s'\n", email.buf, o->list);
	strbuf_release(&email);
	return r < 0 ? EXIT_FAILED : EXIT_OK;
}

static void copy_report(FILE *from)
{
	char buf[8192];
	size_t n;

	rewind(from);
	while ((n = fread(buf, 1, sizeof(buf), from)) > 0)
		fwrite(buf, 1, n, stdout);
}

static void close_input(FILE *fp)
{
	if (fp != stdin)
		fclose(fp);
}

/*
 * The rules and the storing are store_import()'s; here the input is
 * opened and the report printed: the counts first, then the rejected
 * rows, spooled to a file so memory does not grow with a bad file.
 */
static int do_import(struct store *st, const char *file, struct opts *o)
{
	struct store_import_opts io = {
		.list = o->list, .delim = o->delim, .encoding = o->encoding,
		.flags = o->resubscribe ? STORE_RESUBSCRIBE : 0, .dry_run = o->dry_run,
	};
	struct store_import_counts n;
	FILE *fp, *rejects;
	enum store_import_outcome res;

	/* "-" is standard input (a file named '-' is ./-); reports say <stdin>. */
	if (!strcmp(file, "-")) {
		fp = stdin;
		file = "<stdin>";
	} else {
		fp = fopen(file, "rb");
	}
	if (!fp) {
		error("cannot read '%s': %s", file, strerror(errno));
		return EXIT_USAGE;
	}
	rejects = tmpfile();
	if (!rejects) {
		error("cannot create a temporary file for the import report: %s", strerror(errno));
		close_input(fp);
		return EXIT_FAILED;
	}
	res = store_import(st, fp, file, &io, rejects, &n);
	close_input(fp);
	if (res == STORE_IMPORT_DONE) {
		printf("%s%s into '%s': %ld added, %ld updated, %ld unchanged, %ld skipped (unsubscribed, bounced, complained or suppressed), %ld rejected\n",
		       o->dry_run ? "dry run, nothing saved: " : "", file, o->list,
		       n.added, n.updated, n.unchanged, n.skipped, n.rejected);
		copy_report(rejects);
	}
	fclose(rejects);
	if (res != STORE_IMPORT_DONE)
		return res == STORE_IMPORT_REFUSED ? EXIT_USAGE : EXIT_FAILED;
	return n.rejected ? EXIT_FAILED : EXIT_OK;
}

struct keys {
	char **v;
	size_t n, alloc;
};

static void add_key(void *data, const char *key)
{
	struct keys *k = data;

	ALLOC_GROW(k->v, k->n + 1, k->alloc);
	k->v[k->n++] = xstrdup(key);
}

/*
 * Where export writes: stdout (also for -o -), or with -o a temporary file beside FILE
 * renamed over it at the end (readers never see half an export).  The
 * rows stream through in 64 KiB pieces: memory does not grow with the list.
 */
struct sink {
	int to_file;
	struct atomic_file file;
};

static int sink_open(struct sink *k, const char *path)
{
	/* "-o -" is standard output, as without -o (a file named '-' is ./-). */
	k->to_file = path != NULL && strcmp(path, "-") != 0;
	return k->to_file ? atomic_file_open(&k->file, path, 0600) : 0;
}

static void sink_write(struct sink *k, struct strbuf *out)
{
	if (k->to_file)
		atomic_file_write(&k->file, out->buf, out->len);
	else
		fwrite(out->buf, 1, out->len, stdout);
	strbuf_reset(out);
}

/* Finish (ok >= 0) or abandon; returns 0 or -1 after error(). */
static int sink_close(struct sink *k, int ok)
{
	if (!k->to_file) {
		if (fflush(stdout) != 0 && ok >= 0)
			ok = error("cannot write the export to standard output: %s", strerror(errno));
		return ok < 0 ? -1 : 0;
	}
	if (ok < 0) {
		atomic_file_abort(&k->file);
		return -1;
	}
	return atomic_file_commit(&k->file);
}

static int do_export(struct store *st, struct opts *o)
{
	struct keys k = { NULL, 0, 0 };
	struct strbuf out = STRBUF_INIT;
	struct store_cursor *c = NULL;
	const struct store_recipient *r;
	struct sink sink;
	size_t i, j;
	int ok = -1;

	if (store_attr_keys(st, o->list, add_key, &k) < 0)
		goto out;
	if (sink_open(&sink, o->output) < 0)
		goto out;
	csvio_add_field(&out, "email", 1);
	csvio_add_field(&out, "name", 0);
	for (i = 0; i < k.n; i++)
		csvio_add_field(&out, k.v[i], 0);
	csvio_end_record(&out);
	c = store_recipients_where(st, o->list, o->where);
	while (c && (r = store_cursor_next(c))) {
		csvio_add_field(&out, r->email, 1);
		csvio_add_field(&out, r->name, 0);
		/* Both sorted by key: one merge pass. */
		for (i = 0, j = 0; i < k.n; i++) {
			while (j < r->nattrs && strcmp(r->attr_keys[j], k.v[i]) < 0)
				j++;
			csvio_add_field(&out, j < r->nattrs && !strcmp(r->attr_keys[j], k.v[i])
					? r->attr_values[j] : "", 0);
		}
		csvio_end_record(&out);
		if (out.len > 65536)
			sink_write(&sink, &out);
	}
	if (c && !store_cursor_failed(c)) {
		sink_write(&sink, &out);
		ok = 0;
	}
	store_cursor_close(c);
	ok = sink_close(&sink, ok);
out:
	for (i = 0; i < k.n; i++)
		free(k.v[i]);
	free(k.v);
	strbuf_release(&out);
	return ok < 0 ? EXIT_FAILED : EXIT_OK;
}

static int do_list(struct store *st, struct opts *o)
{
	enum store_status s = STORE_NONE;
	struct store_cursor *c;
	const struct store_recipient *r;
	struct strbuf e = STRBUF_INIT, n = STRBUF_INIT;
	int failed;

	if (o->status)
		store_status_parse(o->status, &s);	/* checked with the options */
	c = store_members_where(st, o->list, s, o->where);
	if (!c)
		return EXIT_FAILED;
	/* Escaped: a tab in a name would shift the columns, an ESC drive the terminal. */
	while ((r = store_cursor_next(c)))
		printf("%s\t%s\t%s\n", shown(&e, r->email), store_status_name(r->status),
		       shown(&n, r->name));
	strbuf_release(&e);
	strbuf_release(&n);
	failed = store_cursor_failed(c);
	store_cursor_close(c);
	return failed ? EXIT_FAILED : EXIT_OK;
}

/*
 * For every action but add and import: the list exists (a typo would
 * otherwise read as an empty list), and --where names its attributes.
 */
static int existing_list(struct store *st, struct opts *o)
{
	int has = store_list_exists(st, o->list);

	if (has < 0)
		return EXIT_FAILED;
	if (!has) {
		error("there is no list '%s'; see 'newsbeat lists' (add and import create one)",
		      o->list);
		return EXIT_USAGE;
	}
	if (!o->nwheres)
		return EXIT_OK;
	o->where = store_filter_parse((const char *const *)o->wheres, o->nwheres, "--where");
	if (!o->where || store_filter_check(st, o->list, o->where) < 0)
		return EXIT_USAGE;
	return EXIT_OK;
}

int cmd_subscribers(int argc, char **argv, struct config *cfg)
{
	struct opts o;
	struct store *st;
	const char *sub;
	int r, nargs;

	if (wants_help(argc, argv) || argc < 2)
		return argc < 2 ? usage_error(usage, "which action? add, remove, import, export, list or count")
				: show_help(usage);
	sub = argv[1];
	memset(&o, 0, sizeof(o));
	strbuf_init(&o.attrs, 0);
	if (!action_opts(sub)) {
		r = usage_error(usage, "unknown action '%s'", sub);
		goto out;
	}
	if ((r = parse_opts(argc, argv, &o, cfg)) != 0)
		goto out;
	nargs = argc - optind;
	r = EXIT_USAGE;
	if ((!strcmp(sub, "add") || !strcmp(sub, "remove") || !strcmp(sub, "import")) && nargs != 1) {
		r = usage_error(usage, "'subscribers %s' takes one %s", sub,
				strcmp(sub, "import") ? "address" : "file");
		goto out;
	}
	if ((!strcmp(sub, "export") || !strcmp(sub, "list") || !strcmp(sub, "count")) && nargs) {
		r = usage_error(usage, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (o.status && store_status_parse(o.status, &(enum store_status){ 0 }) < 0) {
		r = usage_error(usage, "unknown status '%s'", o.status);
		goto out;
	}
	/* Only add and import may start a newsletter's database. */
	if ((strcmp(sub, "add") && strcmp(sub, "import") && need_database(cfg) < 0) ||
	    !(st = store_open(cfg->database))) {
		r = EXIT_FAILED;
		goto out;
	}
	if (strcmp(sub, "add") && strcmp(sub, "import") &&
	    (r = existing_list(st, &o)) != EXIT_OK) {
		store_close(st);
		goto out;
	}
	if (!strcmp(sub, "add") || !strcmp(sub, "import")) {
		int existed = store_list_exists(st, o.list);

		r = !strcmp(sub, "add") ? do_add(st, argv[optind], &o)
					: do_import(st, argv[optind], &o);
		/* A new list is worth a line: a typo in --list makes one. */
		if (existed == 0 && o.dry_run)
			printf("there is no list '%s' yet: the import would create it\n", o.list);
		else if (existed == 0 && store_list_exists(st, o.list) > 0)
			printf("created list '%s' (see 'newsbeat lists')\n", o.list);
	} else if (!strcmp(sub, "remove"))
		r = do_remove(st, argv[optind], &o);
	else if (!strcmp(sub, "export"))
		r = do_export(st, &o);
	else if (!strcmp(sub, "list"))
		r = do_list(st, &o);
	else {
		long long n = store_count_where(st, o.list, o.where);

		if (n >= 0 && o.json) {
			struct strbuf js = STRBUF_INIT;

			strbuf_addstr(&js, "{\"list\":");
			strbuf_add_json_string(&js, o.list, strlen(o.list));
			strbuf_addf(&js, ",\"active\":%lld}\n", n);
			fputs(js.buf, stdout);
			strbuf_release(&js);
		} else if (n >= 0) {
			printf("%lld\n", n);
		}
		r = n < 0 ? EXIT_FAILED : EXIT_OK;
	}
	store_close(st);
out:
	strbuf_release(&o.attrs);
	store_filter_free(o.where);
	free(o.wheres);
	return r;
}
