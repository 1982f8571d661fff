/*
 * The search index (search-index.js): one record per issue, records of
 * unchanged issues copied from the previous index by offset.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/fsutil.h"
#include "base/hash.h"
#include "base/config.h"
#include "core/issue.h"
#include "core/markdown.h"
#include "core/tmpl.h"
#include "archive/archive.h"
#include "archive/archive_internal.h"

#include <fcntl.h>
#include <unistd.h>

void archive_content_text(const struct strbuf *content, struct strbuf *out)
{
	struct strbuf text = STRBUF_INIT;

	archive_html_text(&text, content->buf, content->len);
	archive_xml_clean(out, text.buf, text.len);
	strbuf_release(&text);
}

/*
 * One issue's record of the search index, {"t","u","d","l","n","p","g","x"}:
 * title, page URL, date and the date as pages show it, number, preheader,
 * tags as [label, URL] and text (the body as its page shows it).  URLs are
 * relative to the index page, which runs the search.
 */
void archive_search_record(const struct entry *e, const struct strbuf *text, struct strbuf *js)
{
	struct strbuf u = STRBUF_INIT;
	size_t k;

	strbuf_addf(&u, "issues/%s.html", e->slug);
	strbuf_addstr(js, "{\"t\":");
	strbuf_add_json_string(js, e->is.title, strlen(e->is.title));
	strbuf_addstr(js, ",\"u\":");
	strbuf_add_json_string(js, u.buf, u.len);
	strbuf_addstr(js, ",\"d\":");
	strbuf_add_json_string(js, e->is.date, strlen(e->is.date));
	strbuf_reset(&u);
	archive_date_long(e, &u);
	strbuf_addstr(js, ",\"l\":");
	strbuf_add_json_string(js, u.buf, u.len);
	strbuf_addf(js, ",\"n\":%d,\"p\":", e->is.number);
	strbuf_add_json_string(js, e->is.preheader ? e->is.preheader : "",
			       e->is.preheader ? strlen(e->is.preheader) : 0);
	strbuf_addstr(js, ",\"g\":[");
	for (k = 0; k < e->is.ntags; k++) {
		strbuf_addstr(js, k ? ",[" : "[");
		strbuf_add_json_string(js, e->is.tags[k], strlen(e->is.tags[k]));
		strbuf_addch(js, ',');
		strbuf_reset(&u);
		archive_tag_url("", e->tag_slugs[k], &u);
		strbuf_add_json_string(js, u.buf, u.len);
		strbuf_addch(js, ']');
	}
	strbuf_addstr(js, "],\"x\":");
	strbuf_add_json_string(js, text->buf, text->len);
	strbuf_addch(js, '}');
	strbuf_release(&u);
}

/*
 * The new search index as pieces: new bytes (in a buffer), or a range of
 * the previous index file.  Unchanged records in a row are one range, so
 * the ~4 MB index of 1,000 issues is written with a few copy_file_range()
 * calls (in-kernel copies) and one small write per changed record.
 */
struct piece {
	int from_old;
	size_t off, len;	/* in fresh or in the old file */
};

struct pieces {
	struct piece *p;
	size_t n, alloc;
	struct strbuf fresh;
	size_t total;		/* bytes so far: the next piece's offset in the new file */
};

static void piece_new(struct pieces *ps, const char *s, size_t len)
{
	if (ps->n && !ps->p[ps->n - 1].from_old &&
	    ps->p[ps->n - 1].off + ps->p[ps->n - 1].len == ps->fresh.len) {
		ps->p[ps->n - 1].len += len;
	} else {
		ALLOC_GROW(ps->p, ps->n + 1, ps->alloc);
		ps->p[ps->n].from_old = 0;
		ps->p[ps->n].off = ps->fresh.len;
		ps->p[ps->n++].len = len;
	}
	strbuf_add(&ps->fresh, s, len);
	ps->total += len;
}

static void piece_old(struct pieces *ps, size_t off, size_t len)
{
	if (ps->n && ps->p[ps->n - 1].from_old &&
	    ps->p[ps->n - 1].off + ps->p[ps->n - 1].len == off) {
		ps->p[ps->n - 1].len += len;
	} else {
		ALLOC_GROW(ps->p, ps->n + 1, ps->alloc);
		ps->p[ps->n].from_old = 1;
		ps->p[ps->n].off = off;
		ps->p[ps->n++].len = len;
	}
	ps->total += len;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* len bytes at off of old_fd to the end of fd: in the kernel when it can. */
static int copy_range(int old_fd, size_t off, size_t len, int fd)
{
	loff_t in = (loff_t)off;
	char buf[65536];

	while (len) {
		ssize_t n = copy_file_range(old_fd, &in, fd, NULL, len, 0);

		if (n > 0) {
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EXDEV && errno != ENOSYS && errno != EINVAL &&
		    errno != EOPNOTSUPP)
			return -1;
		break;	/* not supported here: copy through user space */
	}
	while (len) {
		ssize_t n = pread(old_fd, buf, len < sizeof(buf) ? len : sizeof(buf), in);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = EIO;	/* shorter than the manifest says: not "Success" */
		if (n <= 0 || write_all(fd, buf, (size_t)n) < 0)
			return -1;
		in += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_pieces(const struct build *b, const char *name, const struct pieces *ps,
			int old_fd)
{
	struct strbuf path = STRBUF_INIT;
	size_t i;
	int fd, r = 0;

	path_join(&path, b->dir, name);
	fd = open(path.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = error("cannot write '%s': %s", path.buf, strerror(errno));
		goto out;
	}
	for (i = 0; i < ps->n && !r; i++) {
		const struct piece *p = &ps->p[i];

		if (p->from_old ? copy_range(old_fd, p->off, p->len, fd) < 0 :
		    write_all(fd, ps->fresh.buf + p->off, p->len) < 0)
			r = error("cannot write '%s': %s", path.buf, strerror(errno));
	}
	if (close(fd) < 0 && !r)
		r = error("cannot write '%s': %s", path.buf, strerror(errno));
out:
	strbuf_release(&path);
	return r;
}

/*
 * window.NEWSBEAT_SEARCH = [{t,u,d,l,n,p,g,x}, ...] (archive_search_record):
 * a script, so file:// works.  A page rendered in this build brings its
 * record; a page kept from the previous build keeps its record too (with
 * the ",\n" after it), copied from the previous index where the manifest
 * says it is: the page hash covers all the record is made of.  The old
 * file must have the size the manifest says.
 */
int archive_build_search_index(struct build *b, struct strbuf *manifest)
{
	static const char head[] = "window.NEWSBEAT_SEARCH = [\n", tail[] = "\n];\n";
	struct pieces ps;
	struct strbuf path = STRBUF_INIT, rec = STRBUF_INIT, text = STRBUF_INIT;
	struct tval *global = archive_ctx_global(b, "../");	/* what the pages' bodies were filled with */
	const struct manifest_row *prev_size = archive_manifest_get(&b->old, "@search");
	size_t i, old_len = 0;
	int r = 0, old_fd = -1;

	memset(&ps, 0, sizeof(ps));
	strbuf_init(&ps.fresh, 0);
	path_join(&path, b->old_dir, "search-index.js");
	if (prev_size) {
		struct stat st;

		old_fd = open(path.buf, O_RDONLY | O_CLOEXEC);
		if (old_fd >= 0 && (fstat(old_fd, &st) < 0 ||
				    (uint64_t)st.st_size != prev_size->hash)) {
			close(old_fd);
			old_fd = -1;
		}
		if (old_fd >= 0)
			old_len = (size_t)st.st_size;
	}
	piece_new(&ps, head, strlen(head));
	for (i = 0; i < b->n && !r; i++) {
		struct entry *e = &b->e[i];
		const struct manifest_row *m = archive_manifest_get(&b->old, e->slug);
		int last = i + 1 == b->n;

		e->s_off = ps.total;
		if (e->rendered) {
			e->s_len = e->search.len;
			piece_new(&ps, e->search.buf, e->search.len);
			strbuf_release(&e->search);	/* copied: one copy in memory at a time */
		} else if (old_fd >= 0 && m && m->s_len && m->src_hash == e->src_hash &&
		    m->s_off >= strlen(head) && m->s_off + m->s_len + strlen(tail) <= old_len) {
			/* Followed by ",\n" there unless it was the last record. */
			int old_last = m->s_off + m->s_len + strlen(tail) == old_len;

			e->s_len = m->s_len;
			if (!last && !old_last) {
				piece_old(&ps, m->s_off, m->s_len + 2);
				continue;
			}
			piece_old(&ps, m->s_off, m->s_len);
		} else {
			/* An unchanged page without its old record: read its body as the page did. */
			strbuf_reset(&rec);
			strbuf_reset(&text);
			r = archive_entry_load(e);
			if (!r)
				r = archive_render_content(b, e, global, &rec);
			if (r < 0)
				break;
			archive_content_text(&rec, &text);
			strbuf_reset(&rec);
			archive_search_record(e, &text, &rec);
			e->s_len = rec.len;
			piece_new(&ps, rec.buf, rec.len);
		}
		if (!last)
			piece_new(&ps, ",\n", 2);
	}
	piece_new(&ps, tail, strlen(tail));
	if (!r)
		r = write_pieces(b, "search-index.js", &ps, old_fd);
	strbuf_addf(manifest, "@search %llx\n", (unsigned long long)ps.total);
	for (i = 0; i < b->n; i++)
		strbuf_addf(manifest, "%s %016llx %016llx %zu %zu\n", b->e[i].slug,
			    (unsigned long long)b->e[i].page_hash,
			    (unsigned long long)b->e[i].src_hash, b->e[i].s_off, b->e[i].s_len);
	if (old_fd >= 0)
		close(old_fd);
	free(ps.p);
	strbuf_release(&ps.fresh);
	strbuf_release(&rec);
	strbuf_release(&text);
	strbuf_release(&path);
	tval_free(global);
	return r;
}
