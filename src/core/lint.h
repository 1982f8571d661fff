#ifndef LINT_H
#define LINT_H
/*
 * The checks behind `newsbeat check`: things that parse fine but would
 * embarrass the editor once sent.  Pure: takes a parsed issue and its
 * Markdown, collects findings; printing is the command's job.
 *
 * Errors (exit 1): placeholders left in (TK, TODO, FIXME, "lorem ipsum"),
 * links or images that cannot work in email (relative but for images in
 * assets/, unsafe scheme, empty), a local image whose file is missing, an HTML part over LINT_HTML_MAX, template variables nothing fills,
 * an empty body.  Warnings: images without alt text, data: images, anchor
 * links, Markdown that CommonMark renders differently from what the editor
 * expects (pipe tables, ~~strike~~, [^1] footnotes), raw HTML (dropped),
 * an HTML part over LINT_HTML_WARN.
 */
#include <stddef.h>
#include <stdio.h>

struct issue;
struct markdown;

/*
 * Gmail clips an HTML part over ~102 KB ("[Message clipped]"), hiding the
 * footer with the unsubscribe link; warn well before.
 */
#define LINT_HTML_WARN (90 * 1024)
#define LINT_HTML_MAX (102 * 1024)

enum lint_level { LINT_WARNING, LINT_ERROR };

struct lint_finding {
	char *file;		/* NULL: the issue file itself */
	int line;		/* line in that file, 0 when none */
	enum lint_level level;
	char *message;
	char *hint;		/* what to do instead, or NULL */
};

/*
 * At most LINT_MAX findings are kept; later ones are only counted (in
 * dropped[level], without the deduplication of lint_unfilled, so the
 * count may include repeats), so an issue with thousands of problems is
 * checked in linear time and its report stays readable.
 */
#define LINT_MAX 200

struct lint {
	struct lint_finding *v;
	size_t n, alloc;
	size_t dropped[2];	/* by enum lint_level: counted, not kept */
};

#define LINT_INIT { NULL, 0, 0, { 0, 0 } }
void lint_release(struct lint *l);

/* Add a finding (strings copied); hint may be NULL.  Past LINT_MAX only counted. */
void lint_add(struct lint *l, const char *file, int line, enum lint_level level,
	      const char *hint, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/*
 * The issue's local images (image.h; map from archive_images_collect):
 * an error for each one whose file is missing, a warning over
 * IMAGE_WARN_BYTES and for one whose pixel size cannot be read.
 */
struct image_map;
void lint_images(struct lint *l, const struct issue *is, const struct markdown *m,
		 const struct image_map *map);

/* All checks that need only the issue and its Markdown (m parsed from is->body). */
void lint_issue(struct lint *l, const struct issue *is, const struct markdown *m);

/* The size check for the HTML part as sent (bytes, decoded). */
void lint_html_size(struct lint *l, size_t bytes);

/* A template variable nothing fills: `where` is a template file or is->path. */
void lint_unfilled(struct lint *l, const struct issue *is, const char *name,
		   const char *where, int line);

/* Sort findings by file (issue first) and line, keeping order otherwise. */
void lint_sort(struct lint *l);
size_t lint_count(const struct lint *l, enum lint_level level);

/*
 * Print "FILE:LINE: error|warning: message (hint)" per finding, then the
 * summary line "FILE: N errors, M warnings" (or "FILE: no problems found");
 * findings past LINT_MAX are counted in the summary and announced as
 * "FILE: N more findings not shown" before it.
 */
void lint_print(const struct lint *l, const char *path, FILE *fp);

#endif
