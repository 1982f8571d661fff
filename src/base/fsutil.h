#ifndef FSUTIL_H
#define FSUTIL_H
/*
 * File-system helpers.  All report failures with error() naming the path and
 * return -1; 0 on success.
 */
#include <stddef.h>

struct strbuf;

/*
 * Write `len` bytes to `path` atomically: a temporary file in the same
 * directory is written, fsync'd and renamed over `path`, so readers see the
 * old content or the new, never a half-written file.  `mode` as for open().
 */
int write_file_atomic(const char *path, const void *data, size_t len, int mode);

/*
 * The same, streamed, for output too large to hold: atomic_file_open()
 * creates the temporary file beside `path`, atomic_file_write() appends
 * (after a failure it reports once and ignores the rest),
 * atomic_file_commit() syncs it and renames it over `path`, or removes it
 * if anything failed; atomic_file_abort() removes it.  Either ends it.
 */
struct atomic_file {
	int fd;
	int failed;
	char *path, *tmp;
};
int atomic_file_open(struct atomic_file *f, const char *path, int mode);
int atomic_file_write(struct atomic_file *f, const void *data, size_t len);
int atomic_file_commit(struct atomic_file *f);
void atomic_file_abort(struct atomic_file *f);

/*
 * Write len bytes to path, created or truncated, with mode (as for open(),
 * so the umask applies): a plain write for files inside a directory that
 * is itself put in place atomically.
 */
int write_file(const char *path, const void *data, size_t len, int mode);

/* Copy a regular file (new file, mode as for write_file()). */
int copy_file(const char *from, const char *to, int mode);

/*
 * Make `to` a hard link to `from`, or a copy where links are not possible;
 * -1 quietly when `from` cannot be read (the caller has a fallback).
 */
int link_or_copy_file(const char *from, const char *to, int mode);

/*
 * Copy the regular files and directories under `from` into `to` (created,
 * directories 0755, files `mode`), skipping names that start with '.'
 * (editors' and tools' dot files) and, with a warning, symbolic links
 * (what gets copied is published: a link could bring in anything).
 */
int copy_tree(const char *from, const char *to, int mode);

/* mkdir -p; mode for each created directory. */
int mkdir_p(const char *path, int mode);

/* Sets out to "dir/name" (name unchanged when absolute or dir is empty/NULL). */
void path_join(struct strbuf *out, const char *dir, const char *name);

/* 1 if path exists (any type), 0 if not. */
int path_exists(const char *path);
/* 1 if path is a directory. */
int is_dir(const char *path);

/* Remove a directory tree (like rm -rf); missing path is success. */
int remove_tree(const char *path);

#endif
