/*
 * archive_swap.c on real directories: a swap gives exactly the new
 * archive; a swap that fails at any one of its renames leaves the previous
 * archive (and the new tree) exactly as they were; a process killed at any
 * one of them leaves names that archive_swap_recover() turns back into a
 * whole archive, the previous one or the new one; recovery refuses to
 * guess and leaves other people's directories alone; the output check
 * refuses directories that are not an archive.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/fsutil.h"
#include "archive/archive_swap.h"
#include "tap.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char root[64];
static char last_error[512];

static void record(const char *level, const char *msg)
{
	(void)level;
	snprintf(last_error, sizeof(last_error), "%s", msg);
}

static void put(const char *dir, const char *name, const char *text)
{
	struct strbuf p = STRBUF_INIT;

	mkdir_p(dir, 0755);
	path_join(&p, dir, name);
	if (strchr(name, '/')) {
		struct strbuf d = STRBUF_INIT;

		strbuf_add(&d, p.buf, (size_t)(strrchr(p.buf, '/') - p.buf));
		mkdir_p(d.buf, 0755);
		strbuf_release(&d);
	}
	write_file(p.buf, text, strlen(text), 0644);
	strbuf_release(&p);
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every file and directory under dir as sorted "path=content" lines. */
static void walk(const char *dir, const char *rel, char ***lines, size_t *n, size_t *alloc)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		struct strbuf p = STRBUF_INIT, r = STRBUF_INIT, line = STRBUF_INIT;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		path_join(&p, dir, de->d_name);
		strbuf_addf(&r, "%s%s", rel, de->d_name);
		if (is_dir(p.buf)) {
			strbuf_addf(&line, "%s/", r.buf);
			strbuf_addch(&r, '/');
			walk(p.buf, r.buf, lines, n, alloc);
		} else {
			strbuf_addf(&line, "%s=", r.buf);
			strbuf_read_file(&line, p.buf);
		}
		ALLOC_GROW(*lines, *n + 1, *alloc);
		(*lines)[(*n)++] = strbuf_detach(&line, NULL);
		strbuf_release(&p);
		strbuf_release(&r);
	}
	if (d)
		closedir(d);
}

static char *tree(const char *dir)
{
	char **lines = NULL;
	size_t n = 0, alloc = 0, i;
	struct strbuf out = STRBUF_INIT;

	if (!path_exists(dir))
		return xstrdup("(missing)");
	walk(dir, "", &lines, &n, &alloc);
	if (n)
		qsort(lines, n, sizeof(char *), cmp_line);
	for (i = 0; i < n; i++) {
		strbuf_addf(&out, "%s\n", lines[i]);
		free(lines[i]);
	}
	free(lines);
	return strbuf_detach(&out, NULL);
}

/* The names in the test root other than out itself, sorted, space-separated. */
static char *beside(void)
{
	char **lines = NULL;
	size_t n = 0, alloc = 0, i;
	struct strbuf out = STRBUF_INIT;
	DIR *d = opendir(root);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "out"))
			continue;
		ALLOC_GROW(lines, n + 1, alloc);
		lines[n++] = xstrdup(de->d_name);
	}
	if (d)
		closedir(d);
	if (n)
		qsort(lines, n, sizeof(char *), cmp_line);
	for (i = 0; i < n; i++) {
		strbuf_addf(&out, "%s%s", i ? " " : "", lines[i]);
		free(lines[i]);
	}
	free(lines);
	return strbuf_detach(&out, NULL);
}

static struct strbuf out_dir = STRBUF_INIT, new_dir = STRBUF_INIT;

/*
 * The previous archive: index, pages a b c; the new build: index and a
 * fresh page a (rendered), b kept, c no longer published, d new.
 */
static void scene(void)
{
	remove_tree(root);
	mkdir_p(root, 0755);
	strbuf_reset(&out_dir);
	strbuf_reset(&new_dir);
	path_join(&out_dir, root, "out");
	path_join(&new_dir, root, "out.new-Ab12Cd");
	put(out_dir.buf, ARCHIVE_MANIFEST, "old manifest\n");
	put(out_dir.buf, "index.html", "old index");
	put(out_dir.buf, "issues/a.html", "old a");
	put(out_dir.buf, "issues/b.html", "old b");
	put(out_dir.buf, "issues/c.html", "old c");
	put(new_dir.buf, ARCHIVE_MANIFEST, "new manifest\n");
	archive_swap_mark(new_dir.buf);
	put(new_dir.buf, "index.html", "new index");
	put(new_dir.buf, "issues/a.html", "new a");
	put(new_dir.buf, "issues/d.html", "new d");
}

static const char want_new[] =
	".newsbeat-manifest=new manifest\n\nindex.html=new index\nissues/\n"
	"issues/a.html=new a\nissues/b.html=old b\nissues/d.html=new d\n";

static int swap(void)
{
	struct archive_pageset pages = { 0 }, rendered = { 0 }, old = { 0 };
	int r;

	archive_pageset_add(&pages, "a.html");
	archive_pageset_add(&pages, "b.html");
	archive_pageset_add(&pages, "d.html");
	archive_pageset_add(&rendered, "a.html");
	archive_pageset_add(&rendered, "d.html");
	archive_pageset_sort(&pages);
	archive_pageset_sort(&rendered);
	archive_pageset_read(&old, out_dir.buf);
	r = archive_swap_in(new_dir.buf, out_dir.buf, &pages, &rendered, &old);
	archive_pageset_release(&pages);
	archive_pageset_release(&rendered);
	archive_pageset_release(&old);
	return r;
}

static int calls, fail_at, exit_at;

static int hook(const char *from, const char *to)
{
	if (++calls == exit_at)
		_exit(0);	/* as kill -9 would: no cleanup, nothing undone */
	if (calls == fail_at) {
		errno = EIO;
		return -1;
	}
	return rename(from, to);
}

static void test_pageset(void)
{
	struct archive_pageset s = { 0 };

	scene();
	archive_pageset_read(&s, out_dir.buf);
	ok(s.n == 3 && !strcmp(s.names[0], "a.html") && !strcmp(s.names[2], "c.html"),
	   "pageset_read: the previous issues/, sorted (%zu)", s.n);
	ok(archive_pageset_has(&s, "b.html") && !archive_pageset_has(&s, "d.html"),
	   "pageset_has finds what is there, only that");
	archive_pageset_release(&s);
	archive_pageset_read(&s, new_dir.buf);
	archive_pageset_release(&s);
	archive_pageset_read(&s, root);
	ok(s.n == 0 && !archive_pageset_has(&s, "a.html"), "no issues/: an empty set");
	archive_pageset_release(&s);
}

static void test_swap(void)
{
	char *got, *b;

	scene();
	ok(swap() == 0, "swap over a previous archive");
	got = tree(out_dir.buf);
	is_str(got, want_new, "the new archive: rendered pages new, kept page old, dropped page gone");
	free(got);
	b = beside();
	is_str(b, "", "nothing left beside it");
	free(b);

	scene();
	remove_tree(out_dir.buf);
	remove_tree(new_dir.buf);
	put(new_dir.buf, ARCHIVE_MANIFEST, "m\n");
	archive_swap_mark(new_dir.buf);
	put(new_dir.buf, "issues/a.html", "a");
	{
		struct archive_pageset none = { 0 };

		ok(archive_swap_in(new_dir.buf, out_dir.buf, &none, &none, &none) == 0,
		   "first build: swap into a missing output");
	}
	got = tree(out_dir.buf);
	is_str(got, ".newsbeat-manifest=m\n\nissues/\nissues/a.html=a\n", "it is the new tree");
	free(got);
}

static void test_failures(void)
{
	int k, done = 0, failures = 0, bad = 0;

	archive_swap_rename_hook = hook;
	for (k = 1; k < 50 && !done; k++) {
		char *old_before, *new_before, *old_after, *new_after, *b;
		int r;

		scene();
		old_before = tree(out_dir.buf);
		new_before = tree(new_dir.buf);
		calls = 0;
		fail_at = k;
		exit_at = 0;
		r = swap();
		if (r == 0) {
			done = 1;
			old_after = tree(out_dir.buf);
			is_str(old_after, want_new, "with no rename failing, the swap goes through");
			free(old_after);
		} else {
			failures++;
			old_after = tree(out_dir.buf);
			new_after = tree(new_dir.buf);
			b = beside();
			if (strcmp(old_after, old_before) || strcmp(new_after, new_before) ||
			    strcmp(b, "out.new-Ab12Cd")) {
				bad++;
				diag("rename %d failed: archive now\n%s\nnew tree now\n%s\nbeside: %s",
				     k, old_after, new_after, b);
			}
			free(new_after);
			free(old_after);
			free(b);
		}
		free(old_before);
		free(new_before);
	}
	archive_swap_rename_hook = NULL;
	ok(failures >= 5, "the swap has several renames to fail (%d tried)", failures);
	ok(!bad, "a failure at any one of them restores the previous archive and the new tree "
	   "exactly, and says why (%d not restored; last: %s)", bad, last_error);
}

static void test_kills(void)
{
	int k, done = 0, kills = 0, bad = 0, old_seen = 0, new_seen = 0;
	static const char want_old[] =
		".newsbeat-manifest=old manifest\n\nindex.html=old index\nissues/\n"
		"issues/a.html=old a\nissues/b.html=old b\nissues/c.html=old c\n";

	for (k = 1; k < 50 && !done; k++) {
		pid_t pid;
		int status = 0;
		char *got, *b;

		scene();
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			archive_swap_rename_hook = hook;
			calls = 0;
			fail_at = 0;
			exit_at = k;
			_exit(swap() == 0 ? 3 : 4);
		}
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
			done = 1;
		else
			kills++;
		if (archive_swap_recover(out_dir.buf) < 0) {
			bad++;
			diag("killed at rename %d: recovery failed: %s", k, last_error);
			continue;
		}
		got = tree(out_dir.buf);
		b = beside();
		if (!strcmp(got, want_old))
			old_seen++;
		else if (!strcmp(got, want_new))
			new_seen++;
		else {
			bad++;
			diag("killed at rename %d: after recovery the archive is\n%s", k, got);
		}
		if (*b) {
			bad++;
			diag("killed at rename %d: left beside the archive: %s", k, b);
		}
		free(got);
		free(b);
	}
	ok(kills >= 5, "a kill at each of the swap's renames (%d)", kills);
	ok(!bad, "after each, recovery gives a whole archive and removes the leftovers (%d bad)", bad);
	ok(old_seen && new_seen, "early kills give back the previous archive (%d), late ones the new (%d)",
	   old_seen, new_seen);
}

static void test_recover_refuses(void)
{
	struct strbuf p = STRBUF_INIT;
	char *b;

	scene();
	remove_tree(new_dir.buf);
	/* out missing, two moved-away archives: which one is it? */
	strbuf_addf(&p, "%s/out.old-111", root);
	rename(out_dir.buf, p.buf);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/out.old-222", root);
	put(p.buf, ARCHIVE_MANIFEST, "other manifest\n");
	put(p.buf, "issues/a.html", "other a");
	ok(archive_swap_recover(out_dir.buf) < 0 && strstr(last_error, "by hand"),
	   "two candidates for a missing archive: refused, saying to move one by hand (%s)",
	   last_error);
	b = beside();
	is_str(b, "out.old-111 out.old-222", "and nothing removed");
	free(b);

	/* Names that merely look like leftovers are someone else's. */
	scene();
	remove_tree(new_dir.buf);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/out.old-backup", root);
	mkdir_p(p.buf, 0755);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/out.new-site", root);
	mkdir_p(p.buf, 0755);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/out.new-Zz99Yy", root);	/* a dead build's, before its swap */
	put(p.buf, "index.html", "half");
	archive_swap_mark(p.buf);
	/* Names exactly like a build's, but a user's: no build mark, no manifest. */
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/out.new-design", root);
	put(p.buf, "mockup.html", "weeks of work");
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/out.old-2024", root);
	put(p.buf, "issues/a.html", "last year's site");
	ok(archive_swap_recover(out_dir.buf) == 0, "recovery with the archive in place");
	b = beside();
	is_str(b, "out.new-design out.new-site out.old-2024 out.old-backup",
	       "removes a dead build's directory, not a user's with a name like one");
	free(b);

	/* The archive missing beside a user's backup named like a moved-away one: not taken for it. */
	remove_tree(out_dir.buf);
	ok(archive_swap_recover(out_dir.buf) == 0 && !path_exists(out_dir.buf),
	   "a missing archive is not 'recovered' from a user's out.old-2024");
	strbuf_release(&p);
}

static void test_check_out(void)
{
	struct strbuf p = STRBUF_INIT;

	scene();
	ok(archive_swap_check_out(out_dir.buf) == 0, "an archive may be replaced");
	strbuf_addf(&p, "%s/empty", root);
	ok(archive_swap_check_out(p.buf) == 0, "a missing directory may be made");
	mkdir_p(p.buf, 0755);
	ok(archive_swap_check_out(p.buf) == 0, "an empty one may be replaced");
	put(p.buf, "thesis.tex", "years of work");
	ok(archive_swap_check_out(p.buf) < 0 && strstr(last_error, "not empty") &&
	   strstr(last_error, "choose an empty or new one"),
	   "a directory with other files is refused, saying what to do (%s)", last_error);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/file", root);
	put(root, "file", "x");
	ok(archive_swap_check_out(p.buf) < 0 && strstr(last_error, "not a directory"),
	   "a file is refused (%s)", last_error);
	strbuf_release(&p);
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/nb-swap-test.%ld", (long)getpid());
	set_report_routine(record);
	test_pageset();
	test_swap();
	test_failures();
	test_kills();
	test_recover_refuses();
	test_check_out();
	remove_tree(root);
	strbuf_release(&out_dir);
	strbuf_release(&new_dir);
	return tap_done();
}
