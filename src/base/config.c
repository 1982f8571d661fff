/*
 * config.ini: a small line parser of our own, strict by design.
 *
 * Why not libinih: it reads at most 200 bytes per line and parses the rest
 * of a longer line as a new line (a long name followed by "from = ..."
 * set From), lets a key appear twice (the last one silently wins), joins
 * indented lines onto the previous value, and leaves unknown sections and
 * keys to a warning that nobody reads (a misspelt [smtp] fell back to the
 * Maildir outbox).  Here every line is read whole, and each of those is an
 * error naming FILE:LINE, with a did-you-mean for unknown names.
 *
 * The parser works on a buffer (config_parse_buffer) so that it can be
 * fuzzed; config_load only reads the file.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/fsutil.h"
#include "base/config.h"

#include "base/utf8.h"

#include <unistd.h>
#include <limits.h>

enum key_type { KEY_STR, KEY_PATH, KEY_INT, KEY_CONNS, KEY_RATE, KEY_TLS, KEY_URL_DIR, KEY_BOOL };

struct key {
	const char *section;
	const char *name;
	enum key_type type;
	size_t offset;
	const char *def;
	int min, max;		/* KEY_INT and KEY_CONNS bounds */
};

#define S(f) offsetof(struct config, f)
static const struct key keys[] = {
	{ "newsletter", "name", KEY_STR, S(name), "NewsBeat", 0, 0 },
	{ "newsletter", "from", KEY_STR, S(from), "NewsBeat <newsbeat@example.org>", 0, 0 },
	{ "newsletter", "base_url", KEY_URL_DIR, S(base_url), "https://news.example.org/", 0, 0 },
	{ "newsletter", "list_id", KEY_STR, S(list_id), "newsbeat.example.org", 0, 0 },
	{ "newsletter", "default_list", KEY_STR, S(default_list), "members", 0, 0 },
	{ "newsletter", "unsubscribe_mailto", KEY_STR, S(unsubscribe_mailto), "", 0, 0 },
	{ "newsletter", "language", KEY_STR, S(language), "en", 0, 0 },
	{ "paths", "issues", KEY_PATH, S(issues_dir), "issues", 0, 0 },
	{ "paths", "templates", KEY_PATH, S(templates_dir), "templates", 0, 0 },
	{ "paths", "archive", KEY_PATH, S(archive_dir), "public", 0, 0 },
	{ "paths", "database", KEY_PATH, S(database), "newsbeat.db", 0, 0 },
	{ "paths", "outbox", KEY_PATH, S(outbox), "outbox", 0, 0 },
	{ "smtp", "url", KEY_STR, S(smtp_url), "", 0, 0 },
	{ "smtp", "tls", KEY_TLS, S(tls), "required", 0, 0 },
	{ "smtp", "username", KEY_STR, S(smtp_username), "", 0, 0 },
	{ "smtp", "password_env", KEY_STR, S(password_env), "NEWSBEAT_SMTP_PASSWORD", 0, 0 },
	{ "smtp", "ca_file", KEY_PATH, S(ca_file), "", 0, 0 },
	{ "smtp", "connections", KEY_CONNS, S(connections), "auto", 1, 64 },
	{ "smtp", "max_connections", KEY_INT, S(max_connections), "16", 1, 64 },
	{ "smtp", "rate", KEY_RATE, S(rate), "0", 0, 0 },
	{ "smtp", "envelope_from", KEY_STR, S(envelope_from), "", 0, 0 },
	{ "smtp", "timeout", KEY_INT, S(timeout), "60", 1, 3600 },
	{ "smtp", "max_attempts", KEY_INT, S(max_attempts), "5", 1, 100 },
	{ "smtp", "retry_backoff", KEY_INT, S(retry_backoff), "60", 0, 86400 },
	{ "smtp", "retry_for", KEY_INT, S(retry_for), "172800", 0, 30 * 86400 },
	{ "smtp", "retry_wait", KEY_INT, S(retry_wait), "60", 0, 3600 },
	{ "serve", "listen", KEY_STR, S(listen), "127.0.0.1:8080", 0, 0 },
	{ "serve", "secret_env", KEY_STR, S(secret_env), "NEWSBEAT_SECRET", 0, 0 },
	{ "serve", "confirm_ttl", KEY_INT, S(confirm_ttl), "604800", 600, 90 * 86400 },
	{ "serve", "confirm_interval", KEY_INT, S(confirm_interval), "3600", 0, 7 * 86400 },
	{ "bounces", "mailbox", KEY_STR, S(bounces_mailbox), "", 0, 0 },
	{ "bounces", "password_env", KEY_STR, S(bounces_password_env), "NEWSBEAT_BOUNCES_PASSWORD", 0, 0 },
	{ "bounces", "tls", KEY_TLS, S(bounces_tls), "required", 0, 0 },
	{ "bounces", "ca_file", KEY_PATH, S(bounces_ca_file), "", 0, 0 },
	{ "bounces", "processed", KEY_STR, S(bounces_processed), "move:newsbeat-processed", 0, 0 },
	{ "bounces", "verp", KEY_BOOL, S(verp), "yes", 0, 0 },
	{ "bounces", "soft_limit", KEY_INT, S(soft_limit), "3", 1, 100 },
	{ "bounces", "soft_window", KEY_INT, S(soft_window), "5", 1, 100 },
};
#undef S


static int set_key(struct config *cfg, const struct key *k, const char *value,
		   const char *where)
{
	char *p = (char *)cfg + k->offset;

	switch (k->type) {
	case KEY_STR:
		free(*(char **)p);
		*(char **)p = xstrdup(value);
		return 0;
	case KEY_PATH: {
		struct strbuf sb = STRBUF_INIT;

		if (*value)
			path_join(&sb, cfg->dir, value);
		free(*(char **)p);
		*(char **)p = strbuf_detach(&sb, NULL);
		return 0;
	}
	case KEY_URL_DIR: {
		struct strbuf sb = STRBUF_INIT;

		if (strncmp(value, "https://", 8) && strncmp(value, "http://", 7))
			return error("%s: [%s] %s must start with https:// (got '%s')",
				     where, k->section, k->name, value);
		strbuf_addstr(&sb, value);
		if (sb.buf[sb.len - 1] != '/')
			strbuf_addch(&sb, '/');
		free(*(char **)p);
		*(char **)p = strbuf_detach(&sb, NULL);
		return 0;
	}
	case KEY_CONNS:
		if (!strcmp(value, "auto")) {
			*(int *)p = CONFIG_CONNECTIONS_AUTO;
			return 0;
		}
		/* else a number */
		__attribute__((fallthrough));
	case KEY_INT: {
		char *end;
		long v;

		errno = 0;
		v = strtol(value, &end, 10);
		if (errno || end == value || *end || v < k->min || v > k->max)
			return error("%s: [%s] %s must be %sa whole number from %d to %d (got '%s')",
				     where, k->section, k->name, k->type == KEY_CONNS ? "'auto' or " : "",
				     k->min, k->max, value);
		*(int *)p = (int)v;
		return 0;
	}
	case KEY_RATE: {
		char *end;
		double v;

		errno = 0;
		v = strtod(value, &end);
		if (errno || end == value || *end || !(v >= 0 && v <= 1e6))
			return error("%s: [%s] %s must be messages per second, 0 for unlimited (got '%s')",
				     where, k->section, k->name, value);
		*(double *)p = v;
		return 0;
	}
	case KEY_BOOL:
		if (!strcmp(value, "yes") || !strcmp(value, "true") || !strcmp(value, "1"))
			*(int *)p = 1;
		else if (!strcmp(value, "no") || !strcmp(value, "false") || !strcmp(value, "0"))
			*(int *)p = 0;
		else
			return error("%s: [%s] %s must be 'yes' or 'no' (got '%s')",
				     where, k->section, k->name, value);
		return 0;
	case KEY_TLS:
		if (!strcmp(value, "required"))
			*(enum config_tls *)p = CONFIG_TLS_REQUIRED;
		else if (!strcmp(value, "none"))
			*(enum config_tls *)p = CONFIG_TLS_NONE;
		else
			return error("%s: [%s] %s must be 'required' or 'none' (got '%s')",
				     where, k->section, k->name, value);
		return 0;
	}
	BUG("unknown key type");
}

static const char *const sections[] = { "newsletter", "paths", "smtp", "serve", "bounces" };

_Static_assert(ARRAY_SIZE(keys) <= CONFIG_NKEYS, "raise CONFIG_NKEYS");

struct parser {
	struct config *cfg;
	const char *name;	/* the file name, for messages */
	int line;
	int errors;
	int section;		/* index into sections[], -1 none, -2 unknown */
	int section_line[ARRAY_SIZE(sections)];
	struct strbuf where;	/* "FILE:LINE" of the current line */
};

static int parse_error(struct parser *p, const char *fmt, ...) NB_PRINTF(2, 3);
static int parse_error(struct parser *p, const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	error("%s:%d: %s", p->name, p->line, msg.buf);
	strbuf_release(&msg);
	p->errors++;
	return -1;
}

/*
 * Optimal string alignment distance (Levenshtein plus adjacent
 * transpositions: "smpt" is one step from "smtp").  Names are short; longer
 * input is not worth a suggestion.
 */
#define NAME_MAX_SUGGEST 40
static int edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	int d[NAME_MAX_SUGGEST + 1][NAME_MAX_SUGGEST + 1];

	if (la > NAME_MAX_SUGGEST || lb > NAME_MAX_SUGGEST)
		return NAME_MAX_SUGGEST;
	for (i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			int cost = a[i - 1] != b[j - 1], v = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

/* A suggestion is worth making within 2 edits, and fewer than the name's length. */
static int close_enough(const char *typed, const char *known, int *best)
{
	int d = edit_distance(typed, known);

	if (d > 2 || d >= (int)strlen(typed) || d >= *best)
		return 0;
	*best = d;
	return 1;
}

static int find_section(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sections); i++)
		if (!strcmp(sections[i], name))
			return (int)i;
	return -1;
}

static int section_line(struct parser *p, const char *s, size_t len)
{
	char *name;
	const char *close = memchr(s, ']', len), *rest;
	int i, best = 3;
	size_t k;

	if (!close)
		return parse_error(p, "a section header needs its closing ']': '[%.*s'",
					 (int)(len - 1), s + 1);
	for (rest = close + 1; rest < s + len && (*rest == ' ' || *rest == '\t'); rest++)
		;
	if (rest < s + len && *rest != ';' && *rest != '#')
		return parse_error(p, "text after the section header: '%.*s'",
					 (int)(s + len - rest), rest);
	name = xstrndup(s + 1, (size_t)(close - s - 1));
	i = find_section(name);
	if (i >= 0) {
		p->section = i;
		if (p->section_line[i])
			parse_error(p, "section [%s] appears twice (first at line %d): "
				    "put all its keys in one place", name, p->section_line[i]);
		else
			p->section_line[i] = p->line;
	} else {
		const char *guess = NULL;

		p->section = -2;
		for (k = 0; k < ARRAY_SIZE(sections); k++)
			if (close_enough(name, sections[k], &best))
				guess = sections[k];
		if (guess)
			parse_error(p, "unknown section [%s]; did you mean [%s]?", name, guess);
		else
			parse_error(p, "unknown section [%s] (known: [newsletter], [paths], "
				    "[smtp], [serve], [bounces])", name);
	}
	free(name);
	return 0;
}

static int unknown_key(struct parser *p, const char *key)
{
	const char *section = p->section >= 0 ? sections[p->section] : NULL;
	const struct key *guess = NULL;
	int best = 3;
	size_t i;

	if (section && !strcmp(section, "smtp") && !strcmp(key, "password"))
		return parse_error(p, "passwords do not belong in config files; delete this "
					 "line and put it in the environment variable that [smtp] "
					 "password_env names");
	for (i = 0; section && i < ARRAY_SIZE(keys); i++)
		if (!strcmp(keys[i].section, section) && close_enough(key, keys[i].name, &best))
			guess = &keys[i];
	if (guess)
		return parse_error(p, "unknown key '%s' in [%s]; did you mean '%s'?",
					 key, section, guess->name);
	/* The right key in the wrong section (or before any section). */
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcmp(keys[i].name, key)) {
			guess = &keys[i];
			break;
		}
	if (!section)
		parse_error(p, "'%s' comes before any [section]%s%s%s", key,
			    guess ? "; did you mean it under [" : "", guess ? guess->section : "",
			    guess ? "]?" : "");
	else if (guess)
		parse_error(p, "unknown key '%s' in [%s]; did you mean it under [%s]?",
			    key, section, guess->section);
	else
		parse_error(p, "unknown key '%s' in [%s] (config.example.ini lists every key)",
			    key, section);
	return -1;
}

static int is_key_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

static int key_line(struct parser *p, const char *s, size_t len)
{
	const char *eq = memchr(s, '=', len), *v, *vend, *k;
	char *key, *value;
	size_t i;

	if (!eq)
		return parse_error(p, "cannot read this line: expected 'key = value', "
					 "'[section]' or a comment starting with ';'");
	for (k = eq; k > s && (k[-1] == ' ' || k[-1] == '\t'); k--)
		;
	if (k == s)
		return parse_error(p, "a key name is missing before '='");
	for (i = 0; s + i < k; i++)
		if (!is_key_char((unsigned char)s[i]))
			return parse_error(p, "'%.*s' is not a key name (letters, digits "
						 "and '_' only)", (int)(k - s), s);
	/* An inline comment starts at ';' after white space, as in config.example.ini. */
	for (v = eq + 1; v < s + len && (*v == ' ' || *v == '\t'); v++)
		;
	for (vend = v; vend < s + len; vend++)
		if (*vend == ';' && (vend == v || vend[-1] == ' ' || vend[-1] == '\t'))
			break;
	while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
		vend--;

	if (p->section == -2)
		return 0;	/* the unknown section was reported once, at its header */
	key = xstrndup(s, (size_t)(k - s));
	value = xstrndup(v, (size_t)(vend - v));
	for (i = 0; p->section >= 0 && i < ARRAY_SIZE(keys); i++)
		if (!strcmp(keys[i].section, sections[p->section]) && !strcmp(keys[i].name, key))
			break;
	if (p->section < 0 || i == ARRAY_SIZE(keys)) {
		unknown_key(p, key);
	} else if (p->cfg->lines[i]) {
		parse_error(p, "[%s] %s is set twice (first at line %d): keep one",
			    keys[i].section, key, p->cfg->lines[i]);
	} else {
		strbuf_reset(&p->where);
		strbuf_addf(&p->where, "%s:%d", p->name, p->line);
		p->cfg->lines[i] = p->line;
		if (set_key(p->cfg, &keys[i], value, p->where.buf) < 0)
			p->errors++;
	}
	free(key);
	free(value);
	return 0;
}

static int parse_line(struct parser *p, const char *s, size_t len)
{
	size_t i, bad = utf8_invalid_at(s, len);
	const char *t;

	if (bad < len)
		return parse_error(p, "byte %zu is not valid UTF-8 (save the file as UTF-8)",
					 bad + 1);
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '\0')
			return parse_error(p, "a NUL byte (is this a text file?)");
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return parse_error(p, "control character 0x%02x at byte %zu%s", c, i + 1,
						 c == '\r' ? " (a carriage return without a line feed)" : "");
	}
	for (t = s; t < s + len && (*t == ' ' || *t == '\t'); t++)
		;
	if (t == s + len || *t == ';' || *t == '#')
		return 0;
	if (t > s)
		/* A continuation would silently change the value above it: say so instead. */
		return parse_error(p, "this line is indented: a value cannot continue on the "
					 "next line, and keys and sections start in the first column");
	if (*s == '[')
		return section_line(p, s, len);
	return key_line(p, s, len);
}

static void set_defaults(struct config *cfg)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (set_key(cfg, &keys[i], keys[i].def, "built-in default") < 0)
			BUG("bad default for %s", keys[i].name);
}

static void prepare(struct config *cfg, const char *file, const char *dir)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->file = xstrdup(file);
	cfg->dir = xstrdup(dir);
	set_defaults(cfg);
}

static int parse_buffer(struct config *cfg, const char *buf, size_t len)
{
	struct parser p;
	const char *s = buf, *end = buf + len;

	memset(&p, 0, sizeof(p));
	p.cfg = cfg;
	p.name = cfg->file;
	p.section = -1;
	strbuf_init(&p.where, 0);
	/* A UTF-8 byte order mark, as some editors write. */
	if (len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
		s += 3;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);

		p.line++;
		parse_line(&p, s, n && s[n - 1] == '\r' ? n - 1 : n);
		s += n + (nl != NULL);
	}
	strbuf_release(&p.where);
	if (p.errors) {
		config_release(cfg);
		return -1;
	}
	return 0;
}

int config_parse_buffer(struct config *cfg, const char *file, const char *dir,
			const char *buf, size_t len)
{
	prepare(cfg, file, dir);
	return parse_buffer(cfg, buf, len);
}

int config_load(struct config *cfg, const char *path)
{
	char cwd[PATH_MAX];
	struct strbuf dir = STRBUF_INIT, text = STRBUF_INIT;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	if (!getcwd(cwd, sizeof(cwd)))
		return error("cannot determine the current directory: %s", strerror(errno));

	if (!path && path_exists("config.ini"))
		path = "config.ini";
	if (!path) {
		prepare(cfg, "", cwd);
		return 0;
	}
	{
		const char *slash = strrchr(path, '/');

		if (!slash)
			strbuf_addstr(&dir, cwd);
		else if (path[0] == '/')
			strbuf_add(&dir, path, (size_t)(slash - path) + (slash == path));
		else
			strbuf_addf(&dir, "%s/%.*s", cwd, (int)(slash - path), path);
	}
	if (strbuf_read_file(&text, path) < 0) {
		error("cannot read config file '%s': %s", path, strerror(errno));
		strbuf_release(&dir);
		return -1;
	}
	r = config_parse_buffer(cfg, path, dir.buf, text.buf, text.len);
	strbuf_release(&dir);
	strbuf_release(&text);
	return r;
}

void config_where(const struct config *cfg, const void *field, struct strbuf *out)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		if ((const char *)cfg + keys[i].offset != (const char *)field)
			continue;
		if (cfg->lines[i])
			strbuf_addf(out, "%s:%d: [%s] %s", cfg->file, cfg->lines[i],
				    keys[i].section, keys[i].name);
		else
			strbuf_addf(out, "%s%s[%s] %s (the built-in default)", cfg->file,
				    *cfg->file ? ": " : "", keys[i].section, keys[i].name);
		return;
	}
	BUG("config_where: not a config field");
}

void config_release(struct config *cfg)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		char **p = (char **)((char *)cfg + keys[i].offset);

		if (keys[i].type == KEY_STR || keys[i].type == KEY_PATH || keys[i].type == KEY_URL_DIR) {
			free(*p);
			*p = NULL;
		}
	}
	free(cfg->file);
	free(cfg->dir);
	cfg->file = cfg->dir = NULL;
}

static const char *env_or_null(const char *name)
{
	const char *v;

	if (!name || !*name)
		return NULL;
	v = getenv(name);
	return v && *v ? v : NULL;
}

const char *config_secret(const struct config *cfg)
{
	return env_or_null(cfg->secret_env);
}

const char *config_secret_required(const struct config *cfg, const char *use)
{
	const char *name = *cfg->secret_env ? cfg->secret_env : "NEWSBEAT_SECRET";
	const char *v = config_secret(cfg);

	if (!v) {
		error("%s is not set: links would be signed with the public development key and "
		      "anyone could forge them; before %s, make a secret with "
		      "'export %s=$(openssl rand -hex 32)' and keep it (send and serve must "
		      "see the same one)", name, use, name);
		return NULL;
	}
	if (strlen(v) < CONFIG_SECRET_MIN) {
		error("%s is %zu bytes; it must be at least %d, or a token's signature can be "
		      "guessed: before %s, make one with 'export %s=$(openssl rand -hex 32)' "
		      "(links already sent stop working when it changes)",
		      name, strlen(v), CONFIG_SECRET_MIN, use, name);
		return NULL;
	}
	return v;
}

const char *config_smtp_password(const struct config *cfg)
{
	return env_or_null(cfg->password_env);
}

const char *config_bounces_password(const struct config *cfg)
{
	return env_or_null(cfg->bounces_password_env);
}
