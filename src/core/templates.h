#ifndef TEMPLATES_H
#define TEMPLATES_H
/*
 * Template files: where a template or partial named in the code or in a
 * {{> name}} tag is read from, and compiling it (core/tmpl.h).  This is
 * the one place in src/core/ that reads files; everything else in core
 * takes file contents as parameters.
 *
 * A name is looked up in the newsletter's directory ([paths] templates)
 * and, when no such file is there, in the templates installed with
 * newsbeat (NEWSBEAT_DATADIR/templates), file by file.  A name must stay
 * inside those directories: an absolute name or one with a ".." component
 * is refused.  A partial's name without an extension gets that of the
 * template being compiled: {{> footer}} in email.txt reads footer.txt, in
 * a partial of a partial too.
 *
 * A set is not thread-safe; the templates it compiles are (tmpl_render).
 */
#include "core/tmpl.h"

struct strbuf;
struct templates;

/*
 * Called once for each template and partial a compile reads, with its
 * name as looked up ("email.html", "footer.html") and its source: what a
 * caller needs to notice that the output may have changed (the archive's
 * build cache).  Files read with templates_read() are not reported.
 */
typedef void (*templates_file_fn)(void *data, const char *name, const char *src, size_t len);

/*
 * A set over the directory `dir` ([paths] templates) and the installed
 * templates.  `dir` is copied.  templates_new_in() names the fallback
 * directory instead (for tests).  Free with templates_free().
 */
struct templates *templates_new(const char *dir);
struct templates *templates_new_in(const char *dir, const char *fallback);
/* Report every file a later compile reads to fn(data, ...); NULL stops. */
void templates_on_file(struct templates *ts, templates_file_fn fn, void *data);

/*
 * Compile the template `name` with its partials.  Returns NULL after
 * error(): a refused name, a template in neither directory (the message
 * names it and both directories), a file that cannot be read, a syntax
 * error or a missing partial (FILE:LINE of the tag, FILE being the path
 * read, as in every message about the template).  The template refers to
 * names the set owns: free it before the set.
 */
struct tmpl *templates_compile(struct templates *ts, const char *name, enum tmpl_escape esc);

/*
 * Read the file `name` (a stylesheet, a script) from the same places,
 * appending to src; path gets the path read (or, on error, the one
 * tried last).  templates_read() returns 0, or -1 after error() (as for
 * templates_compile).  templates_read_optional() returns 1 instead of an
 * error when the file is in neither directory, reporting nothing.
 */
int templates_read(struct templates *ts, const char *name, struct strbuf *src,
		   struct strbuf *path);
int templates_read_optional(struct templates *ts, const char *name, struct strbuf *src,
			    struct strbuf *path);

/* Free the set and the names it kept; NULL is fine. */
void templates_free(struct templates *ts);

#endif
