#ifndef CMD_H
#define CMD_H
/*
 * Subcommands.  Each cmd_* parses its own options (argv[0] is the command
 * name), prints its --help, and returns the process exit status:
 *   0 success; 1 the job ran but something failed (lint errors,
 *   undelivered recipients); 2 usage or input error.
 * Only main() and cmd_*.c may call exit; modules return errors.
 */
struct config;

#define EXIT_OK 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2
/* sysexits.h's EX_TEMPFAIL: an MTA that pipes mail to us keeps it and retries. */
#define EXIT_TEMPFAIL 75

int cmd_new(int argc, char **argv, struct config *cfg);
int cmd_render(int argc, char **argv, struct config *cfg);
int cmd_check(int argc, char **argv, struct config *cfg);
int cmd_send(int argc, char **argv, struct config *cfg);
int cmd_status(int argc, char **argv, struct config *cfg);
int cmd_archive(int argc, char **argv, struct config *cfg);
int cmd_subscribers(int argc, char **argv, struct config *cfg);
int cmd_lists(int argc, char **argv, struct config *cfg);
int cmd_serve(int argc, char **argv, struct config *cfg);
int cmd_bounces(int argc, char **argv, struct config *cfg);
int cmd_backup(int argc, char **argv, struct config *cfg);
/* newsbeat bounces scan: needs no config (called from cmd_bounces). */
int cmd_bounces_scan(int argc, char **argv);

/*
 * Option helpers shared by the commands.
 * usage_error() prints "newsbeat: error: <msg>" and the usage text to
 * stderr and returns EXIT_USAGE; show_help() prints usage to stdout and
 * returns EXIT_OK.
 */
int usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int show_help(const char *usage);
/* 1 if argv has -h or --help before any "--". */
int wants_help(int argc, char **argv);
/*
 * For commands that only read: 0 if [paths] database exists, else -1
 * after error() saying there is no newsletter here (rather than creating
 * an empty database in a directory that is not a newsletter's).
 */
int need_database(const struct config *cfg);

/*
 * s as it may be printed to a terminal (strbuf_add_shown: controls and
 * invalid UTF-8 escaped).  The result lives in *scratch and is replaced
 * on the next call with the same scratch; strbuf_release it when done.
 */
struct strbuf;
const char *shown(struct strbuf *scratch, const char *s);

/*
 * Append s as a JSON string literal, or null when s is NULL.  Unlike
 * strbuf_add_json_string, s may hold bytes that are not UTF-8 (a file
 * name, an undeclared 8-bit charset): each becomes \u00XX, as if Latin-1.
 */
void cmd_json_str(struct strbuf *sb, const char *s);

/*
 * The warning that an issue's rejections blamed the sending set-up, not
 * the addresses (status ISSUE, bounces): what to check.  n > 0.
 */
void warn_sender_blamed(int issue, long n);

/*
 * The other issue files (issue_list of [paths] issues) whose front
 * matter says the same `issue:` number as is (a copied file whose number
 * was not changed: sending it would resume the other issue's delivery).
 * Only for an issue file in that directory (one given by a path from
 * elsewhere is not one of the newsletter's issues).  Files that do not
 * parse are passed over quietly.  Returns how many;
 * *others is an array of that many owned paths (free each, then it).
 */
struct issue;
size_t issue_same_number(const struct config *cfg, const struct issue *is, char ***others);

/*
 * Without [serve] secret_env set: a note on stderr that the links just
 * written are signed with the development key (render, send to the
 * Maildir), so they will not work against a real serve.
 */
void note_development_key(const struct config *cfg);


/*
 * compose_prepare() with the issue's local images (archive_images.h)
 * collected into *images (the caller releases it; check reads it): the
 * published URLs, or with preview_dir (an existing directory) paths to
 * the files relative to it.  The secret is config_secret(cfg).
 */
struct image_map;
struct compose *compose_with_images(const struct config *cfg, const struct issue *is,
				    const char *preview_dir, struct image_map *images);

#endif
