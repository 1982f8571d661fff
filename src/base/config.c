#include "base/common.h"
#include "base/strbuf.h"
#include "base/fsutil.h"
#include "base/config.h"

#include <ini.h>
#include <unistd.h>
#include <limits.h>

enum key_type { KEY_STR, KEY_PATH, KEY_INT, KEY_RATE, KEY_TLS, KEY_URL_DIR, KEY_BOOL };

struct key {
	const char *section;
	const char *name;
	enum key_type type;
	size_t offset;
	const char *def;
	int min, max;		/* KEY_INT bounds */
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
	{ "smtp", "connections", KEY_INT, S(connections), "4", 1, 64 },
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

struct parse_state {
	struct config *cfg;
	FILE *f;
	int line;
	int errors;
};

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
	case KEY_INT: {
		char *end;
		long v;

		errno = 0;
		v = strtol(value, &end, 10);
		if (errno || end == value || *end || v < k->min || v > k->max)
			return error("%s: [%s] %s must be a whole number from %d to %d (got '%s')",
				     where, k->section, k->name, k->min, k->max, value);
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

static char *counting_reader(char *str, int num, void *stream)
{
	struct parse_state *st = stream;
	char *r = fgets(str, num, st->f);

	if (r)
		st->line++;
	return r;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;
	struct strbuf where = STRBUF_INIT;
	size_t i;

	strbuf_addf(&where, "%s:%d", st->cfg->file, st->line);
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name)) {
			if (set_key(st->cfg, &keys[i], value, where.buf) < 0)
				st->errors++;
			strbuf_release(&where);
			return 1;
		}
	}
	if (!name)
		; /* section header alone (INI_CALL_HANDLER_ON_NEW_SECTION) */
	else if (!strcmp(section, "smtp") && !strcmp(name, "password"))
		warning("%s: passwords do not belong in config files; put it in the environment variable that [smtp] password_env names", where.buf);
	else
		warning("%s: unknown key '%s' in section [%s] (ignored)", where.buf, name, section);
	strbuf_release(&where);
	return 1;
}

static void set_defaults(struct config *cfg)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (set_key(cfg, &keys[i], keys[i].def, "built-in default") < 0)
			BUG("bad default for %s", keys[i].name);
}

int config_load(struct config *cfg, const char *path)
{
	struct parse_state st = { cfg, NULL, 0, 0 };
	char cwd[PATH_MAX];
	int r;

	memset(cfg, 0, sizeof(*cfg));
	if (!getcwd(cwd, sizeof(cwd)))
		return error("cannot determine the current directory: %s", strerror(errno));

	if (!path && path_exists("config.ini"))
		path = "config.ini";
	if (path) {
		const char *slash = strrchr(path, '/');

		cfg->file = xstrdup(path);
		if (!slash)
			cfg->dir = xstrdup(cwd);
		else if (path[0] == '/')
			cfg->dir = xstrndup(path, (size_t)(slash - path) + (slash == path));
		else {
			struct strbuf sb = STRBUF_INIT;

			strbuf_addf(&sb, "%s/%.*s", cwd, (int)(slash - path), path);
			cfg->dir = strbuf_detach(&sb, NULL);
		}
	} else {
		cfg->file = xstrdup("");
		cfg->dir = xstrdup(cwd);
	}
	set_defaults(cfg);
	if (!path)
		goto derive;

	st.f = fopen(path, "r");
	if (!st.f) {
		error("cannot read config file '%s': %s", path, strerror(errno));
		config_release(cfg);
		return -1;
	}
	r = ini_parse_stream(counting_reader, &st, handler, &st);
	fclose(st.f);
	if (r > 0) {
		error("%s:%d: cannot parse this line (expected 'key = value' or '[section]')", path, r);
		st.errors++;
	}
	if (st.errors) {
		config_release(cfg);
		return -1;
	}
derive:
	if (!*cfg->unsubscribe_mailto) {
		const char *lt = strchr(cfg->from, '<'), *gt = lt ? strchr(lt, '>') : NULL;

		free(cfg->unsubscribe_mailto);
		cfg->unsubscribe_mailto = lt && gt ? xstrndup(lt + 1, (size_t)(gt - lt - 1))
						   : xstrdup(cfg->from);
	}
	return 0;
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

const char *config_smtp_password(const struct config *cfg)
{
	return env_or_null(cfg->password_env);
}

const char *config_bounces_password(const struct config *cfg)
{
	return env_or_null(cfg->bounces_password_env);
}
