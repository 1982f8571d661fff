/*
 * Local images: which URLs name a file of issues/assets/, the size an
 * image file declares, and the table the renderers look them up in.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "core/image.h"

int image_local(const char *url, struct strbuf *file, struct strbuf *published)
{
	struct strbuf dec = STRBUF_INIT;
	const char *p = url, *q, *seg;
	int ok = 1;

	if (!strncmp(p, "./", 2))
		p += 2;
	if (strncmp(p, IMAGE_DIR, strlen(IMAGE_DIR)) || !p[strlen(IMAGE_DIR)])
		return 0;
	if (strbuf_add_percent_decoded(&dec, p, strlen(p)) < 0)
		ok = 0;
	/* Nothing that is not a plain, published file name below issues/assets/. */
	for (q = dec.buf; ok && q < dec.buf + dec.len; q++) {
		int c = (unsigned char)*q;

		if (c < 0x20 || c == 0x7f || c == '?' || c == '#' || c == '\\' || c == '{' || c == '}')
			ok = 0;
	}
	for (seg = dec.buf; ok && seg; ) {
		const char *slash = strchr(seg, '/');
		size_t n = slash ? (size_t)(slash - seg) : strlen(seg);

		/* Also no dot file: the archive does not publish those (copy_tree). */
		if (!n || seg[0] == '.')
			ok = 0;
		seg = slash ? slash + 1 : NULL;
	}
	if (ok && file)
		strbuf_addbuf(file, &dec);
	if (ok && published)
		strbuf_addstr(published, p);
	strbuf_release(&dec);
	return ok;
}

static unsigned be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static unsigned long be32(const unsigned char *p)
{
	return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3];
}

/* JPEG: the first start-of-frame segment (ITU T.81 B.2.2) after the metadata. */
static const char *jpeg_size(const unsigned char *b, size_t len, unsigned *w, unsigned *h)
{
	size_t i = 2;

	while (i < len) {
		unsigned marker, seglen;

		if (b[i] != 0xff)
			return NULL;
		while (i < len && b[i] == 0xff)	/* fill bytes */
			i++;
		if (i >= len)
			return NULL;
		marker = b[i++];
		if (marker == 0x01 || marker == 0xd8 || (marker >= 0xd0 && marker <= 0xd7))
			continue;	/* no length */
		if (marker == 0xd9 || marker == 0xda || i + 2 > len)
			return NULL;	/* the image data began without a frame header */
		seglen = be16(b + i);
		if (seglen < 2)
			return NULL;
		/* SOF0..SOF15 but DHT (c4), JPG (c8) and DAC (cc). */
		if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 &&
		    marker != 0xcc) {
			if (seglen < 7 || i + 7 > len)
				return NULL;
			*h = be16(b + i + 3);
			*w = be16(b + i + 5);
			return *w && *h ? "JPEG" : NULL;
		}
		i += seglen;
	}
	return NULL;
}

const char *image_dimensions(const unsigned char *b, size_t len, unsigned *w, unsigned *h)
{
	static const unsigned char png[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

	*w = *h = 0;
	/* PNG: the IHDR chunk comes first (PNG spec 5.6). */
	if (len >= 24 && !memcmp(b, png, 8) && !memcmp(b + 12, "IHDR", 4)) {
		unsigned long pw = be32(b + 16), ph = be32(b + 20);

		if (!pw || !ph || pw > 0x7fffffffUL || ph > 0x7fffffffUL)
			return NULL;
		*w = (unsigned)pw;
		*h = (unsigned)ph;
		return "PNG";
	}
	/* GIF: the logical screen size, little-endian (GIF89a section 18). */
	if (len >= 10 && (!memcmp(b, "GIF87a", 6) || !memcmp(b, "GIF89a", 6))) {
		*w = (unsigned)b[6] | (unsigned)b[7] << 8;
		*h = (unsigned)b[8] | (unsigned)b[9] << 8;
		if (!*w || !*h)
			return NULL;
		return "GIF";
	}
	if (len >= 4 && b[0] == 0xff && b[1] == 0xd8)
		return jpeg_size(b, len, w, h);
	return NULL;
}

const struct image_ref *image_map_find(const struct image_map *m, const char *url)
{
	size_t i;

	for (i = 0; m && i < m->n; i++)
		if (!strcmp(m->v[i].url, url))
			return &m->v[i];
	return NULL;
}

void image_map_add(struct image_map *m, const struct image_ref *r)
{
	struct image_ref *e;

	if (image_map_find(m, r->url))
		return;
	ALLOC_GROW(m->v, m->n + 1, m->alloc);
	e = &m->v[m->n++];
	*e = *r;
	e->url = xstrdup(r->url);
	e->src = xstrdup(r->src ? r->src : r->url);
	e->path = xstrdup(r->path ? r->path : "");
}

void image_map_release(struct image_map *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].url);
		free(m->v[i].src);
		free(m->v[i].path);
	}
	free(m->v);
	m->v = NULL;
	m->n = m->alloc = 0;
}
