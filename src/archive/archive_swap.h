#ifndef ARCHIVE_SWAP_H
#define ARCHIVE_SWAP_H
/*
 * Putting a finished archive in place of the previous one, and putting
 * things right after a build that was killed while it did.  This is the
 * code that could lose a user's archive: every step between moving the
 * old archive away and moving the new one in is a rename, a failure undoes
 * them all, and a crash leaves names that archive_swap_recover()
 * understands.  Internal to the archive; tests/unit/test_archive_swap.c
 * drives it on real directories.
 *
 * An output directory is ours when it holds ARCHIVE_MANIFEST: only such a
 * directory (or a missing or empty one) is ever replaced.
 */
#include <stddef.h>

#define ARCHIVE_MANIFEST ".newsbeat-manifest"
/*
 * A build's temporary tree ("<out>.new-XXXXXX") holds this file from the
 * moment it is made until the swap is done: recovery removes only trees
 * that hold it (and moved-away archives, which hold a manifest), never a
 * user's directory that merely has a name like them.
 */
#define ARCHIVE_BUILD_MARK ".newsbeat-build"

/* Mark new_dir, just made, as a build's tree.  -1 after error(). */
int archive_swap_mark(const char *new_dir);

/* A set of page file names ("issue-42.html"), sorted for look-ups. */
struct archive_pageset {
	char **names;
	size_t n, alloc;
};

/* The pages in out_dir/issues/ (none if it is missing): one readdir, no stat. */
void archive_pageset_read(struct archive_pageset *s, const char *out_dir);
/* Add a copy of name; archive_pageset_sort() before the next look-up. */
void archive_pageset_add(struct archive_pageset *s, const char *name);
void archive_pageset_sort(struct archive_pageset *s);
/* 1 if name is in the (sorted) set. */
int archive_pageset_has(const struct archive_pageset *s, const char *name);
void archive_pageset_release(struct archive_pageset *s);

/*
 * 0 if out_dir may be replaced: missing, empty, or holding a manifest;
 * otherwise -1 after error() saying why and what to do.
 */
int archive_swap_check_out(const char *out_dir);

/*
 * Replace out_dir by new_dir.  `pages` are every page of this build;
 * new_dir/issues/ holds those it rendered (`rendered`), and the others
 * are taken from the previous archive's issues/ (`old`, as
 * archive_pageset_read() found it), moved, not copied; old pages not in
 * `pages` are dropped.  With no old pages, new_dir must hold every page.
 * On failure every rename is undone, the previous archive is as it was,
 * and -1 is returned after error(); new_dir is the caller's to remove.
 */
int archive_swap_in(const char *new_dir, const char *out_dir,
		    const struct archive_pageset *pages, const struct archive_pageset *rendered,
		    const struct archive_pageset *old_pages);

/*
 * Called before a build, under its lock: if a killed swap left out_dir
 * missing, put back the previous archive (or finish the new one when it
 * was complete), saying so with warning(); then remove the leftovers of
 * dead builds beside out_dir ("<out>.old-PID", "<out>.new-XXXXXX").  -1
 * after error() when it cannot tell which leftover is the archive.
 */
int archive_swap_recover(const char *out_dir);

/*
 * For tests: every rename of a swap goes through this (rename(2) when
 * NULL), so a test can make any one of them fail.
 */
extern int (*archive_swap_rename_hook)(const char *from, const char *to);

#endif
