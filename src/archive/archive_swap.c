/*
 * Replacing the archive by renames, and recovering from a build killed
 * while it did: see archive_swap.h.
 */
#include "base/common.h"
#include "base/fsutil.h"
#include "base/strbuf.h"
#include "base/testhook.h"
#include "archive/archive_swap.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

int (*archive_swap_rename_hook)(const char *from, const char *to);

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void archive_pageset_add(struct archive_pageset *s, const char *name)
{
	ALLOC_GROW(s->names, s->n + 1, s->alloc);
	s->names[s->n++] = xstrdup(name);
}

void archive_pageset_sort(struct archive_pageset *s)
{
	if (s->n)
		qsort(s->names, s->n, sizeof(char *), cmp_str);
}

int archive_pageset_has(const struct archive_pageset *s, const char *name)
{
	return s->n && bsearch(&name, s->names, s->n, sizeof(char *), cmp_str);
}

void archive_pageset_read(struct archive_pageset *s, const char *out_dir)
{
	struct strbuf path = STRBUF_INIT;
	struct dirent *de;
	DIR *d;

	path_join(&path, out_dir, "issues");
	d = opendir(path.buf);
	strbuf_release(&path);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			archive_pageset_add(s, de->d_name);
	closedir(d);
	archive_pageset_sort(s);
}

void archive_pageset_release(struct archive_pageset *s)
{
	while (s->n)
		free(s->names[--s->n]);
	free(s->names);
	s->names = NULL;
	s->alloc = 0;
}

/* 1 if empty (or unreadable as a directory: then not ours to judge). */
static int is_empty_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int empty = 1;

	if (!d)
		return 0;
	while (empty && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty;
}

/*
 * The output directory is replaced wholesale, so it must be ours: missing,
 * empty, or holding a previous archive's manifest.  This keeps
 * `archive -o ~` from deleting a home directory.
 */
int archive_swap_check_out(const char *out_dir)
{
	struct strbuf m = STRBUF_INIT;
	int r = 0;

	if (!path_exists(out_dir))
		return 0;
	if (!is_dir(out_dir))
		return error("'%s' exists and is not a directory; choose another -o", out_dir);
	path_join(&m, out_dir, ARCHIVE_MANIFEST);
	if (!path_exists(m.buf) && !is_empty_dir(out_dir))
		r = error("'%s' is not empty and was not made by 'newsbeat archive' (no %s): "
			  "the archive replaces the whole directory, so choose an empty or new one",
			  out_dir, ARCHIVE_MANIFEST);
	strbuf_release(&m);
	return r;
}

/* The renames done so far, undone in reverse order if a later one fails. */
struct undo {
	char **from, **to;
	size_t n, alloc, alloc2;
};

static int do_rename(struct undo *u, const char *from, const char *to)
{
	/*
	 * Tests make the Nth rename fail, to check that the undo restores
	 * everything, or kill the process there, as kill -9 would, to check
	 * that the next build recovers (archive_swap_recover).
	 */
	static long countdown = -1;
	static int kill_there;

	if (countdown == -1) {
		const char *e = testhook("NEWSBEAT_TEST_FAIL_RENAME");
		const char *k = testhook("NEWSBEAT_TEST_KILL_RENAME");

		kill_there = k && *k;
		countdown = kill_there ? atol(k) : e && *e ? atol(e) : 0;
	}
	if (countdown > 0 && --countdown == 0) {
		if (kill_there)
			raise(SIGKILL);
		errno = EIO;
		return error("cannot move '%s' to '%s': %s (NEWSBEAT_TEST_FAIL_RENAME)",
			     from, to, strerror(errno));
	}
	if ((archive_swap_rename_hook ? archive_swap_rename_hook(from, to) : rename(from, to)) < 0)
		return error("cannot move '%s' to '%s': %s", from, to, strerror(errno));
	ALLOC_GROW(u->from, u->n + 1, u->alloc);
	ALLOC_GROW(u->to, u->n + 1, u->alloc2);
	u->from[u->n] = xstrdup(from);
	u->to[u->n++] = xstrdup(to);
	return 0;
}

static void undo_release(struct undo *u, int roll_back)
{
	while (u->n--) {
		if (roll_back && rename(u->to[u->n], u->from[u->n]) < 0)
			warning("cannot move '%s' back to '%s': %s", u->to[u->n],
				u->from[u->n], strerror(errno));
		free(u->from[u->n]);
		free(u->to[u->n]);
	}
	free(u->from);
	free(u->to);
}

/*
 * The work files of a swap inside the new tree: ".rendered" holds this
 * build's pages while the previous pages move in, ".drop" names the
 * previous pages to take out.  Both stay until the last rename, so that
 * an undo finds every directory it moves things back into, and a build
 * killed half-way can be finished from the tree alone (roll_forward).
 */
#define RENDERED ".rendered"
#define DROP_LIST ".drop"
/* Inside the moved-away archive: its pages taken out, removed with it. */
#define DROPPED ".dropped"

/* Rename from_dir/name to to_dir/name, recorded in u. */
static int move_name(struct undo *u, const char *from_dir, const char *to_dir, const char *name)
{
	struct strbuf from = STRBUF_INIT, to = STRBUF_INIT;
	int r;

	strbuf_addf(&from, "%s/%s", from_dir, name);
	strbuf_addf(&to, "%s/%s", to_dir, name);
	r = do_rename(u, from.buf, to.buf);
	strbuf_release(&from);
	strbuf_release(&to);
	return r;
}

/* Write new_dir/.drop: the old pages that are not pages of this build. */
static int write_drop_list(const char *new_dir, const struct archive_pageset *pages,
			   const struct archive_pageset *old)
{
	struct strbuf list = STRBUF_INIT, path = STRBUF_INIT;
	size_t i;
	int r;

	for (i = 0; i < old->n; i++)
		if (!strchr(old->names[i], '\n') && !archive_pageset_has(pages, old->names[i]))
			strbuf_addf(&list, "%s\n", old->names[i]);
	path_join(&path, new_dir, DROP_LIST);
	r = write_file(path.buf, list.buf, list.len, 0600);
	strbuf_release(&list);
	strbuf_release(&path);
	return r;
}

/*
 * Move the previous archive's issues/ into new_dir, with this build's
 * pages put in place of the old versions and pages of issues no longer
 * published taken out (into old_dir/.dropped, removed with old_dir).
 * Every step is a rename recorded in u.
 */
static int adopt_old_pages(struct undo *u, const char *new_dir, const char *old_dir,
			   const struct archive_pageset *pages,
			   const struct archive_pageset *rendered,
			   const struct archive_pageset *old)
{
	struct strbuf fresh = STRBUF_INIT, keep = STRBUF_INIT, dropped = STRBUF_INIT;
	struct strbuf old_issues = STRBUF_INIT;
	size_t i;
	int r;

	strbuf_addf(&fresh, "%s/" RENDERED, new_dir);
	strbuf_addf(&keep, "%s/issues", new_dir);
	strbuf_addf(&dropped, "%s/" DROPPED, old_dir);
	strbuf_addf(&old_issues, "%s/issues", old_dir);
	r = do_rename(u, keep.buf, fresh.buf);
	if (!r)
		r = do_rename(u, old_issues.buf, keep.buf);
	if (!r && mkdir(dropped.buf, 0755) < 0)
		r = error("cannot create '%s': %s", dropped.buf, strerror(errno));
	for (i = 0; i < rendered->n && !r; i++) {
		if (archive_pageset_has(old, rendered->names[i]))
			r = move_name(u, keep.buf, dropped.buf, rendered->names[i]);
		if (!r)
			r = move_name(u, fresh.buf, keep.buf, rendered->names[i]);
	}
	for (i = 0; i < old->n && !r; i++)
		if (!archive_pageset_has(pages, old->names[i]))
			r = move_name(u, keep.buf, dropped.buf, old->names[i]);
	strbuf_release(&fresh);
	strbuf_release(&keep);
	strbuf_release(&dropped);
	strbuf_release(&old_issues);
	return r;
}

int archive_swap_mark(const char *new_dir)
{
	struct strbuf p = STRBUF_INIT;
	int r;

	path_join(&p, new_dir, ARCHIVE_BUILD_MARK);
	r = write_file(p.buf, "", 0, 0600);
	strbuf_release(&p);
	return r;
}

/* Remove a finished swap's work files from dir; only a warning if that fails. */
static void remove_work_files(const char *dir)
{
	static const struct {
		const char *name;
		int is_dir;		/* empty by now */
	} work[] = { { ARCHIVE_BUILD_MARK, 0 }, { DROP_LIST, 0 }, { RENDERED, 1 } };
	struct strbuf p = STRBUF_INIT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(work); i++) {
		path_join(&p, dir, work[i].name);
		if ((work[i].is_dir ? rmdir(p.buf) : unlink(p.buf)) < 0 && errno != ENOENT)
			warning("cannot remove '%s': %s", p.buf, strerror(errno));
	}
	strbuf_release(&p);
}

/*
 * Put what is in path's file system on disk (syncfs: the new tree is many
 * files, written plainly); a failure is only a warning: the swap itself
 * is still all or nothing for a crash of the process.
 */
static void sync_fs(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || syncfs(fd) < 0)
		warning("cannot sync '%s' to disk: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/*
 * Move new_dir to out_dir: the old archive is renamed away, the unchanged
 * pages move over, new_dir is renamed into place, then the old one is
 * removed.  Only renames happen between the first and the last step, and
 * a failure undoes them all, so the previous archive is back as it was.
 */
int archive_swap_in(const char *new_dir, const char *out_dir,
		    const struct archive_pageset *pages, const struct archive_pageset *rendered,
		    const struct archive_pageset *old_pages)
{
	struct strbuf old = STRBUF_INIT, p = STRBUF_INIT;
	struct undo u = { 0 };
	int r = 0, had_old = path_exists(out_dir), adopt = had_old && old_pages->n;

	strbuf_addf(&old, "%s.old-%ld", out_dir, (long)getpid());
	if (adopt)
		r = write_drop_list(new_dir, pages, old_pages);
	/* A power cut after the renames must not find pages the disk never got. */
	if (!r)
		sync_fs(new_dir);
	if (!r && had_old) {
		remove_tree(old.buf);
		r = do_rename(&u, out_dir, old.buf);
		if (!r && adopt)
			r = adopt_old_pages(&u, new_dir, old.buf, pages, rendered, old_pages);
	}
	if (!r)
		r = do_rename(&u, new_dir, out_dir);
	undo_release(&u, r < 0);
	if (r < 0) {
		/* What the undo leaves: adopt_old_pages' empty directory, the drop list. */
		path_join(&p, out_dir, DROPPED);
		rmdir(p.buf);
		path_join(&p, new_dir, DROP_LIST);
		unlink(p.buf);
	} else {
		remove_work_files(out_dir);
		sync_fs(out_dir);	/* the renames themselves */
		if (had_old && remove_tree(old.buf) < 0)
			warning("the previous archive is left in '%s'", old.buf);
	}
	strbuf_release(&old);
	strbuf_release(&p);
	return r;
}

/* A name archive_swap_in() or a build gives: 'o' "<base>.old-PID", 'n' "<base>.new-XXXXXX", else 0. */
static int leftover_kind(const char *name, const char *base, size_t blen)
{
	const char *rest = name + blen;

	if (strncmp(name, base, blen))
		return 0;
	if (!strncmp(rest, ".old-", 5) && rest[5] && !rest[5 + strspn(rest + 5, "0123456789")])
		return 'o';
	if (!strncmp(rest, ".new-", 5) && strlen(rest + 5) == 6)
		return 'n';
	return 0;
}


/*
 * 1 if a leftover-looking name really is a build's: a tree that holds the
 * build mark, or a moved-away archive (its manifest, or the empty
 * directory a first build replaced).
 */
static int ours(const char *path, int kind)
{
	struct strbuf p = STRBUF_INIT;
	int r;

	path_join(&p, path, kind == 'n' ? ARCHIVE_BUILD_MARK : ARCHIVE_MANIFEST);
	r = path_exists(p.buf) || (kind == 'o' && is_empty_dir(path));
	strbuf_release(&p);
	return r;
}

/* The second case below: finish adopt_old_pages() in `fresh`, make it out. */
static int roll_forward(const char *fresh, const char *out)
{
	struct strbuf rendered = STRBUF_INIT, from = STRBUF_INIT, to = STRBUF_INIT;
	struct strbuf drop = STRBUF_INIT;
	DIR *d;
	struct dirent *de;
	char *line, *eol;
	int r = 0;

	path_join(&rendered, fresh, RENDERED);
	d = opendir(rendered.buf);
	while (d && !r && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		strbuf_reset(&from);
		strbuf_reset(&to);
		strbuf_addf(&from, "%s/%s", rendered.buf, de->d_name);
		strbuf_addf(&to, "%s/issues/%s", fresh, de->d_name);
		if (rename(from.buf, to.buf) < 0)
			r = error("cannot move '%s' to '%s': %s", from.buf, to.buf, strerror(errno));
	}
	if (d)
		closedir(d);
	/* The previous pages this build no longer publishes (drafts again, say). */
	path_join(&from, fresh, DROP_LIST);
	if (!r && strbuf_read_file(&drop, from.buf) == 0) {
		for (line = drop.buf; !r && (eol = strchr(line, '\n')); line = eol + 1) {
			*eol = '\0';
			strbuf_reset(&to);
			strbuf_addf(&to, "%s/issues/%s", fresh, line);
			if (unlink(to.buf) < 0 && errno != ENOENT)
				r = error("cannot remove '%s': %s", to.buf, strerror(errno));
		}
	}
	if (!r)
		remove_work_files(fresh);
	if (!r && rename(fresh, out) < 0)
		r = error("cannot move '%s' to '%s': %s", fresh, out, strerror(errno));
	strbuf_release(&rendered);
	strbuf_release(&from);
	strbuf_release(&to);
	strbuf_release(&drop);
	return r;
}

/*
 * A build killed during archive_swap_in() (kill -9, a power cut) leaves
 * "<out>.old-PID" and "<out>.new-XXXXXX" beside out, and between the
 * first rename and the last no out at all.  Called under the lock, so no
 * other build is running: put the archive back together, then remove
 * every such leftover (builds killed before their swap leave a
 * "<out>.new-XXXXXX" too).  Other names beside out are not touched.
 *  - out missing, an "<out>.old-PID" still holding issues/: the swap had
 *    only moved it away; it is the previous archive, whole: moved back.
 *  - out missing, an "<out>.old-PID" without issues/: the unchanged pages
 *    were moving into the new tree (adopt_old_pages), which is complete
 *    (it has its manifest) but for the pages still in its .rendered/
 *    and the old pages its .drop names: the first are moved in, the
 *    second removed, and the tree becomes out.
 *  - out missing and more than one candidate of either kind: refused,
 *    saying which; nothing is removed.
 *  - out there with a .drop: killed after the last rename; the work
 *    files are removed.
 */
int archive_swap_recover(const char *out)
{
	struct strbuf dir = STRBUF_INIT, path = STRBUF_INIT;
	const char *base = strrchr(out, '/');
	char **left = NULL, *old = NULL, *fresh = NULL;
	size_t nleft = 0, alloc = 0, i, blen;
	int nold = 0, nfresh = 0, r = 0;
	DIR *d;
	struct dirent *de;

	if (base) {
		strbuf_add(&dir, out, (size_t)(base - out));
		if (!dir.len)
			strbuf_addch(&dir, '/');
		base++;
	} else {
		strbuf_addch(&dir, '.');
		base = out;
	}
	blen = strlen(base);
	d = opendir(dir.buf);
	while (d && (de = readdir(d))) {
		int kind = leftover_kind(de->d_name, base, blen);

		if (!kind)
			continue;
		strbuf_reset(&path);
		path_join(&path, dir.buf, de->d_name);
		if (!ours(path.buf, kind))
			continue;
		ALLOC_GROW(left, nleft + 1, alloc);
		left[nleft] = xstrdup(path.buf);
		if (kind == 'o') {
			old = left[nleft];
			nold++;
		} else {
			path_join(&path, left[nleft], ARCHIVE_MANIFEST);
			if (path_exists(path.buf)) {
				fresh = left[nleft];
				nfresh++;
			}
		}
		nleft++;
	}
	if (d)
		closedir(d);
	if (!path_exists(out) && nold) {
		if (nold > 1 || nfresh > 1) {
			r = error("'%s' is missing and interrupted builds left %d '%s.old-*' and %d complete "
				  "'%s.new-*' directories beside it: move the right one to '%s' by hand",
				  out, nold, base, nfresh, base, out);
			goto done;
		}
		strbuf_reset(&path);
		path_join(&path, old, "issues");
		if (path_exists(path.buf) || !fresh) {
			if (rename(old, out) < 0)
				r = error("cannot move '%s' back to '%s': %s", old, out, strerror(errno));
			else
				warning("a build was interrupted while it swapped the archive in: "
					"'%s' is back as it was", out);
		} else if (!(r = roll_forward(fresh, out))) {
			warning("a build was interrupted while it swapped the archive in: "
				"its new archive is now in '%s'", out);
		}
		if (r)
			goto done;
	}
	/* Killed after its last rename: the new archive is in place, with its work files. */
	strbuf_reset(&path);
	path_join(&path, out, ARCHIVE_BUILD_MARK);
	if (path_exists(path.buf))
		remove_work_files(out);
	/* What is still there is a dead build's. */
	for (i = 0; i < nleft; i++)
		if (is_dir(left[i]) && remove_tree(left[i]) < 0)
			warning("cannot remove '%s' (left by an interrupted build)", left[i]);
done:
	for (i = 0; i < nleft; i++)
		free(left[i]);
	free(left);
	strbuf_release(&dir);
	strbuf_release(&path);
	return r;
}
