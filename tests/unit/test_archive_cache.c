/*
 * Unit tests for the archive's build cache file (archive_cache.c): rows
 * come back as written, escapes included, with their images and tags;
 * a damaged row is dropped, never half-read.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/fsutil.h"
#include "archive/archive_cache.h"
#include "tap.h"

#include <stdlib.h>
#include <unistd.h>

static char dir[] = "/tmp/test_archive_cache.XXXXXX";

static void row(struct archive_cache_row *r, const char *path, char **tags, size_t ntags,
		char **images, size_t nimages)
{
	memset(r, 0, sizeof(*r));
	r->path = (char *)path;
	r->size = 3000;
	r->mtime_s = 1700000000;
	r->mtime_ns = 5;
	r->ctime_s = 1700000001;
	r->ctime_ns = 6;
	r->ino = 42;
	r->src_hash = 0x0123456789abcdefULL;
	r->number = 7;
	r->date = (char *)"2026-11-20";
	r->title = (char *)"Tab\there, line\nbreak, back\\slash";
	r->preheader = (char *)"";
	r->tags = tags;
	r->ntags = ntags;
	r->images = images;
	r->nimages = nimages;
}

/* The cache written with data's rows, read back into c (a build at `written`). */
static void round_trip(struct archive_cache *c, const struct strbuf *data)
{
	struct strbuf path = STRBUF_INIT;

	strbuf_addf(&path, "%s/cache", dir);
	ok(archive_cache_write(path.buf, data) == 0, "the cache is written");
	archive_cache_read(c, path.buf);
	strbuf_release(&path);
}

int main(void)
{
	char t1[] = "research", t2[] = "meetings", i1[] = "assets/lge.png", i2[] = "assets/with\ttab.png";
	char *tags[] = { t1, t2 };
	char *images[] = { i1, i2 };
	struct archive_cache_row r;
	struct archive_cache c;
	struct strbuf data = STRBUF_INIT;
	size_t i;

	if (!mkdtemp(dir))
		return 1;
	archive_cache_header(&data, 1800000000);
	row(&r, "/n/issues/issue-1.md", tags, 2, images, 2);
	archive_cache_append(&data, &r);
	row(&r, "/n/issues/issue-2.md", NULL, 0, NULL, 0);
	archive_cache_append(&data, &r);
	row(&r, "/n/issues/issue-3.md", tags, 1, images, 1);
	archive_cache_append(&data, &r);
	round_trip(&c, &data);
	is_int((long long)c.n, 3, "three rows read back");
	if (c.n == 3) {
		is_str(c.rows[0].title, "Tab\there, line\nbreak, back\\slash", "escapes undone");
		is_int((long long)c.rows[0].nimages, 2, "row 1: two images");
		is_str(c.rows[0].images[1], "assets/with\ttab.png", "  an image name with a tab");
		is_int((long long)c.rows[0].ntags, 2, "row 1: two tags after them");
		is_str(c.rows[0].tags[1], "meetings", "  the tags intact");
		is_int((long long)c.rows[1].nimages, 0, "row 2: no images");
		is_int((long long)c.rows[1].ntags, 0, "  no tags");
		is_int((long long)(c.rows[2].nimages * 10 + c.rows[2].ntags), 11,
		       "row 3: one image, one tag (not two tags)");
		is_int(c.rows[2].ino, 42, "  the stat fields");
		ok(c.rows[2].src_hash == 0x0123456789abcdefULL, "  the hash");
	}
	archive_cache_release(&c);

	/* Damaged rows: an image count past the fields there are, a negative or non-numeric one. */
	strbuf_reset(&data);
	archive_cache_header(&data, 1800000000);
	strbuf_addstr(&data, "/n/a.md\t1\t2\t3\t4\t5\t6\tff\t1\t0\td\tt\tp\t3\tassets/x.png\n");
	strbuf_addstr(&data, "/n/b.md\t1\t2\t3\t4\t5\t6\tff\t1\t0\td\tt\tp\t-1\n");
	strbuf_addstr(&data, "/n/c.md\t1\t2\t3\t4\t5\t6\tff\t1\t0\td\tt\tp\tmany\n");
	strbuf_addstr(&data, "/n/d.md\t1\t2\t3\t4\t5\t6\tff\t1\t0\td\tt\tp\t99999999999999\n");
	strbuf_addstr(&data, "/n/e.md\t1\t2\t3\t4\t5\t6\tff\t1\t0\td\tt\tp\n");
	strbuf_addstr(&data, "/n/ok.md\t1\t2\t3\t4\t5\t6\tff\t1\t0\td\tt\tp\t1\tassets/x.png\ttag\n");
	round_trip(&c, &data);
	is_int((long long)c.n, 1, "damaged rows are dropped, the good one kept");
	for (i = 0; i < c.n; i++)
		is_str(c.rows[i].path, "/n/ok.md", "  the good one");
	archive_cache_release(&c);

	/* The previous format (no image count) is another version: nothing is trusted. */
	strbuf_reset(&data);
	strbuf_addf(&data, "newsbeat-archive-cache 1 %s 1800000000\n", NEWSBEAT_VERSION);
	strbuf_addstr(&data, "/n/ok.md\t1\t2\t3\t4\t5\t6\tff\t1\t0\td\tt\tp\t1\tassets/x.png\ttag\n");
	round_trip(&c, &data);
	is_int((long long)c.n, 0, "a cache of the previous format is not read");
	archive_cache_release(&c);

	strbuf_release(&data);
	remove_tree(dir);
	return tap_done();
}
