#ifndef ISSUE_H
#define ISSUE_H
/*
 * An issue file: YAML front matter between "---" lines, then a CommonMark
 * body.  Parsing is pure (takes a buffer); issue_load reads the file.
 *
 *   ---
 *   title: "CMR in heart failure: what's new"     (required, string)
 *   issue: 42                                      (required, integer >= 1)
 *   date: 2026-11-27                               (required, YYYY-MM-DD, a real date)
 *   subject: "NewsBeat #42: ..."                   (optional; default "<name> #<issue>: <title>")
 *   preheader: "Plus: ..."                         (optional)
 *   list: members                                  (optional)
 *   draft: true                                    (optional bool, archive leaves it out)
 *   tags: [research, meetings]                     (optional list of strings)
 *   segment: [country=Italy, member_type!=student] (optional: send to the members
 *                                                   matching every term; a string or list)
 *   ---
 *
 * Rejected with error("FILE:LINE: message; what to write instead"):
 * no front matter, unterminated front matter, bad YAML (the line of the
 * problem; an unclosed quote at its opening line), missing or mistyped
 * fields, duplicate fields, impossible dates (2026-02-30), CR/LF/NUL or
 * other control characters in title, subject, preheader, list (they become
 * headers: issue_text_check), empty title, invalid UTF-8 anywhere (the line is named), NUL
 * bytes, a body over ISSUE_MAX_BODY bytes or of a shape cmark 0.30.2 is
 * slow on (markdown_shape_check: CVE-2023-22486, deep block quotes).  Unknown fields: a
 * warning("FILE:LINE: unknown field ...") only.  A UTF-8 BOM is skipped;
 * CRLF files are accepted (the body is handed on with LF line ends).
 * YAML null ("subject:", "subject: ~") counts as empty.
 *
 * On error the struct may be partly filled: always call issue_release().
 */
#include <stddef.h>
#include <time.h>

#define ISSUE_MAX_BODY (512 * 1024)

struct issue {
	char *path;		/* as given, for messages */
	char *title;
	int number;
	char *date;		/* "YYYY-MM-DD" */
	int year, month, day;
	char *subject;		/* NULL when absent: see issue_subject() */
	char *preheader;	/* "" when absent */
	char *list;		/* NULL when absent */
	int draft;
	char **tags;
	size_t ntags;
	char **segment;		/* the terms as written (store_filter_parse checks them) */
	size_t nsegment;
	char *body;		/* the Markdown, NUL-terminated */
	size_t body_len;
	int body_line;		/* line number of the body's first line in the file */
	/* Where each front matter field is (0 when absent), for `check`. */
	int title_line, subject_line, preheader_line, tags_line, segment_line;
};

struct strbuf;

/*
 * The rule for text that becomes a mail header or names a list, from the
 * front matter (title, subject, preheader, list) or the command line
 * (--list, new --title): valid UTF-8 without NUL, CR, LF or any other
 * control character — C0 but TAB, DEL, C1 (U+0080..U+009F).  Returns 0,
 * or -1 after appending the reason to why, to follow the field's name:
 * "contains a control character (0x1b); remove it".
 */
int issue_text_check(const char *s, size_t len, struct strbuf *why);
/* A list name: not empty, and issue_text_check.  0, or -1 with the reason in why. */
int issue_list_check(const char *s, struct strbuf *why);

/* Parse buf (len bytes).  path is used in messages only.  Returns 0 or -1 after error(). */
int issue_parse(struct issue *is, const char *path, const char *buf, size_t len);
/* Read and parse a file. */
int issue_load(struct issue *is, const char *path);
void issue_release(struct issue *is);

/* The subject: front matter `subject`, else "<newsletter name> #<n>: <title>" (caller frees). */
char *issue_subject(const struct issue *is, const char *newsletter_name);

/*
 * Resolve an ISSUE argument ("issue-42", "42", or a path to a .md file,
 * ".md" optional) to a file path, appending to out.  A path under the
 * current directory is given relative to it, so messages read
 * "issues/issue-42.md:3: ...".  Returns 0, or -1 after error() saying
 * which name was tried.
 */
int issue_resolve(const char *issues_dir, const char *arg, struct strbuf *out);

/*
 * The issue files in issues_dir (issue-N.md), sorted by number ascending.
 * *paths is an array of owned strings (free each, then the array).
 */
int issue_list(const char *issues_dir, char ***paths, size_t *n);

/*
 * Whether the archive publishes is at `now`: ISSUE_DRAFT (draft: true),
 * ISSUE_FUTURE (dated after now's UTC day) or ISSUE_PUBLISHED.  `send`
 * asks before mailing an issue whose web page does not exist.
 */
enum issue_state { ISSUE_PUBLISHED, ISSUE_DRAFT, ISSUE_FUTURE };
enum issue_state issue_state(const struct issue *is, time_t now);

/* The "slug" used for file names and URLs: "issue-42". Appends to out. */
void issue_slug(const struct issue *is, struct strbuf *out);

/*
 * The slug of a tag, for the archive's tags/<slug>.html: lower-case ASCII
 * letters and digits, each run of other ASCII as one '-' (none at the
 * ends), non-ASCII bytes as two hex digits, "tag" when nothing is left.
 * At most ISSUE_TAG_SLUG_MAX bytes, well under the 255-byte limit of a
 * file name: a longer one is cut and ends in '-' and 8 hex digits of a
 * hash of the whole tag, so distinct long tags keep distinct pages.
 * Appends to out; returns 1 when the slug was shortened (check warns),
 * else 0.
 */
#define ISSUE_TAG_SLUG_MAX 120
int issue_tag_slug(const char *tag, struct strbuf *out);

#endif
