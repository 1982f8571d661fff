#ifndef ARCHIVE_CACHE_H
#define ARCHIVE_CACHE_H
/*
 * The archive's build cache ("<database>-archive-cache", beside the
 * database and private to its owner, because it holds the titles and
 * preheaders of drafts and embargoed issues and absolute paths that the
 * published archive must not show): for each issue file, what its front
 * matter said and which local images its body shows, keyed by the file's
 * (size, mtime, ctime, inode), so an unchanged issue costs one stat()
 * instead of a read and a YAML parse.  Internal to archive.c.
 *
 * Like git's index, a row is trusted only when the file was last modified
 * (mtime) more than a second before the build that wrote the row started: a file
 * edited within the same timestamp tick as it was read would otherwise
 * look unchanged ("racy" rows are re-read and re-hashed).
 *
 * The cache holds metadata only; whether a page is re-rendered is decided
 * by the page hash in the manifest (which covers templates and config), so
 * a stale or corrupt cache can cost time but a row that does not match the
 * file's stat is never used.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

struct strbuf;

struct archive_cache_row {
	char *path;
	long long size, mtime_s, mtime_ns, ctime_s, ctime_ns, ino;
	uint64_t src_hash;	/* of the file's bytes */
	int number, draft;
	char *date, *title, *preheader;
	char **tags;
	size_t ntags;
	char **images;		/* its local images' files (archive_images_files) */
	size_t nimages;
};

struct archive_cache {
	struct archive_cache_row *rows;	/* in the file's order */
	size_t n, alloc;
	size_t next;			/* lookup: the row to try first */
	struct archive_cache_row **sorted;	/* by path, made on the first miss */
	time_t written;		/* when the build that wrote it started */
};

/* The cache file of the database at `database`: appended to out. */
void archive_cache_path(struct strbuf *out, const char *database);

/* Read the cache at path; a missing, foreign-version or corrupt file gives an empty cache. */
void archive_cache_read(struct archive_cache *c, const char *path);

/* Replace the cache at path with data, atomically, mode 0600; -1 after error(). */
int archive_cache_write(const char *path, const struct strbuf *data);

/* The row for path if it matches st and is not racy, else NULL (c keeps a lookup cursor). */
const struct archive_cache_row *archive_cache_lookup(struct archive_cache *c,
						     const char *path, const struct stat *st);

/* Fill a row's stat fields from st. */
void archive_cache_set_stat(struct archive_cache_row *row, const struct stat *st);

/* Append row as a line of the cache file; archive_cache_header() starts it. */
void archive_cache_header(struct strbuf *out, time_t build_start);
void archive_cache_append(struct strbuf *out, const struct archive_cache_row *row);

void archive_cache_release(struct archive_cache *c);

#endif
