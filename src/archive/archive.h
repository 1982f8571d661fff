#ifndef ARCHIVE_H
#define ARCHIVE_H
/*
 * The static web archive (`newsbeat archive`): from issues/issue-N.md and the
 * archive templates it writes
 *
 *   index.html               newest first, grouped by year, with search
 *   issues/<slug>.html       one page per issue (the email's Archived-At)
 *   tags/<tag>.html          one page per tag
 *   feed.xml                 Atom (RFC 4287), full content of recent issues
 *   sitemap.xml              sitemaps.org 0.9
 *   style.css, search.js,    copied from the templates directory
 *   favicon.svg
 *   search-index.js          the prebuilt search index, as a script that
 *                            assigns a global (fetch() of file:// fails);
 *                            each issue's text is its body as the page
 *                            shows it (archive_html_text)
 *   assets/                  copied from issues/assets/ when present
 *   .newsbeat-manifest       per issue page: "<slug> <hash> <src hash> <search offset> <length>"
 *
 * Drafts and issues dated after `now` (UTC day) are left out.  The build
 * cache (front matter and local image files per issue file, keyed by
 * stat: archive_cache.h) is
 * "<database>-archive-cache", beside the database and mode 0600, not in
 * the output: it names drafts and embargoed issues.
 *
 * Safe to rerun: everything is written into a fresh directory beside the
 * output ("<out>.new-XXXXXX"), then swapped in with two renames; a failed
 * build removes its directory and leaves the previous archive untouched.
 * An issue page whose inputs (source bytes, the stat of its local images,
 * templates, config values used, neighbours' titles) hash the same as in the previous build's manifest is
 * not re-rendered: the previous issues/ directory is moved into the new
 * build with only the changed pages replaced (renames, undone if any
 * fails).  An unchanged issue file costs one stat() (the build cache holds
 * its front matter); the search record of a page not re-rendered is copied
 * from the previous index (a re-rendered page's is made with it);
 * the feed is reused when its entries (and their images) and templates
 * are unchanged.
 */
#include <stddef.h>
#include <time.h>

struct config;
struct strbuf;

struct archive_stats {
	size_t published;	/* issue pages in the archive */
	size_t rendered;	/* of those, rendered in this run */
	size_t skipped;		/* drafts and future issues left out */
};

/*
 * Build the archive of cfg's issues into out_dir (created if needed).
 * Returns 0, or -1 after error() (the previous out_dir is then intact).
 * stats may be NULL.
 */
int archive_build(const struct config *cfg, const char *out_dir, time_t now,
		  struct archive_stats *stats);

/*
 * For `check`: compile the archive's templates (and find the files it
 * copies) as archive_build would, building nothing.  Returns 0, or -1
 * after error() naming the template file (and line).
 */
int archive_check_templates(const struct config *cfg);

/*
 * The public URL of an issue page: base_url + "issues/" + slug + ".html"
 * (the same URL compose_web_url gives the email).  Appends to out.
 */
void archive_issue_url(const char *base_url, const char *slug, struct strbuf *out);

/*
 * Append s (len bytes) to out without the characters XML 1.0 forbids
 * (C0 controls other than TAB, LF, CR; U+FFFE, U+FFFF) and without
 * invalid UTF-8 sequences.
 */
void archive_xml_clean(struct strbuf *out, const char *s, size_t len);


/*
 * Append the text a reader sees in HTML (html, len bytes): tags dropped
 * (those of block elements, and <br>, become a space), character
 * references decoded, white space collapsed to single spaces, no leading
 * space.  Never longer than the input.  The search index holds this of
 * the issue body exactly as its page shows it.
 */
void archive_html_text(struct strbuf *out, const char *html, size_t len);

#endif
