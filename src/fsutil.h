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
