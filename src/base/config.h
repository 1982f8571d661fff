#ifndef CONFIG_H
#define CONFIG_H
/*
 * config.ini, read by our own strict line parser (config.c says why).
 * Every key, its default and meaning is
 * documented in config.example.ini; the key names are part of the contract.
 * All strings are owned by the struct (config_release frees them) and are
 * never NULL (empty string when unset).  Paths are already resolved against
 * the config file's directory.
 */
#include <stddef.h>

#define CONFIG_NKEYS 48

struct strbuf;

enum config_tls { CONFIG_TLS_REQUIRED, CONFIG_TLS_NONE };

/* [smtp] connections = auto: the sender finds the count (deliver/concurrency.h). */
#define CONFIG_CONNECTIONS_AUTO 0

struct config {
	char *file;		/* the file read, or "" when defaults only */
	char *dir;		/* directory that relative paths are resolved against */

	/* [newsletter] */
	char *name;
	char *from;		/* "Display Name <addr@example.org>" */
	char *base_url;		/* always ends with '/' */
	char *list_id;
	char *default_list;
	char *unsubscribe_mailto; /* address for the mailto: List-Unsubscribe; default: From address */
	char *language;		/* BCP 47 tag for <html lang>, default "en" */

	/* [paths] */
	char *issues_dir;
	char *templates_dir;
	char *archive_dir;
	char *database;
	char *outbox;

	/* [smtp] */
	char *smtp_url;		/* "" = Maildir outbox */
	enum config_tls tls;
	char *smtp_username;
	char *password_env;
	char *ca_file;
	int connections;	/* 1..64, or CONFIG_CONNECTIONS_AUTO */
	int max_connections;	/* the most connections auto opens, 1..64 */
	double rate;		/* messages per second, 0 = unlimited */
	char *envelope_from;	/* "" = the From address */
	int timeout;		/* seconds per SMTP operation */
	int max_attempts;	/* attempts before a temporary failure becomes permanent */
	int retry_backoff;	/* seconds before the first retry; doubles each time */
	int retry_for;		/* seconds after the first attempt when retrying stops */
	int retry_wait;		/* a run waits for retries due within this many seconds */

	/* [serve] */
	char *listen;
	char *secret_env;
	int confirm_ttl;	/* seconds a confirmation link stays valid */
	int confirm_interval;	/* seconds between confirmation e-mails to one address */

	/* [bounces] */
	char *bounces_mailbox;	/* "" = none; imaps://, imap://, pop3s://, pop3://, maildir:, mbox: */
	char *bounces_password_env;
	enum config_tls bounces_tls;
	char *bounces_ca_file;	/* "" = the system's trust store */
	char *bounces_processed; /* "move:FOLDER" | "seen" | "delete" */
	int verp;		/* 1: MAIL FROM is local+TOKEN@domain */
	int soft_limit;		/* soft bounces in the last soft_window issues → bounced */
	int soft_window;

	/* The line each key was set on (0: not in the file), in table order. */
	int lines[CONFIG_NKEYS];
};

/*
 * Fill cfg with the built-in defaults, then read `path` if given.
 * `path` NULL means "config.ini in the current directory if it exists".
 * An explicitly named file that does not exist is an error.  Returns 0, or
 * -1 after reporting every problem with FILE:LINE (cfg is then released).
 *
 * The format: "[section]" and "key = value" lines, each starting in the
 * first column; ';' or '#' starts a comment line, and " ;" an inline
 * comment; lines of any length; CRLF or LF; UTF-8 (a BOM is skipped).
 * Errors: an unknown section or key (with a did-you-mean), a section or a
 * key given twice, an indented line (no continuation lines), a line that
 * is none of these, invalid UTF-8 or a control character, a bad value.
 */
int config_load(struct config *cfg, const char *path);

/*
 * The same on a buffer: `file` names it in messages ("" for none), `dir`
 * is what relative paths resolve against.  buf need not be NUL-terminated
 * and may hold any bytes (a NUL is an error).  Pure apart from reporting:
 * the fuzzing entry point.
 */
int config_parse_buffer(struct config *cfg, const char *file, const char *dir,
			const char *buf, size_t len);

/*
 * Append where the value of `field` (the address of a member of cfg, e.g.
 * &cfg->from) came from, for messages: "FILE:LINE: [newsletter] from", or
 * "FILE: [newsletter] from (the built-in default)".  BUG() on another address.
 */
void config_where(const struct config *cfg, const void *field, struct strbuf *out);
void config_release(struct config *cfg);

/* The secret from the environment variable [serve] secret_env names, or NULL. */
const char *config_secret(const struct config *cfg);
/*
 * The secret, for the commands that sign links others will click (send
 * through a real server, serve): NULL after error() when it is unset or
 * shorter than CONFIG_SECRET_MIN bytes (an HMAC key that short can be
 * guessed offline from one token); the message names the variable and
 * shows how to make one.  `use` completes "... before %s".
 */
#define CONFIG_SECRET_MIN 32
const char *config_secret_required(const struct config *cfg, const char *use);
/* The SMTP password from [smtp] password_env, or NULL. */
const char *config_smtp_password(const struct config *cfg);
/* The bounce mailbox password from [bounces] password_env, or NULL. */
const char *config_bounces_password(const struct config *cfg);

#endif
