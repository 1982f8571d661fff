#ifndef IMAGE_H
#define IMAGE_H
/*
 * Local images: an editor puts lge.png in issues/assets/ and writes
 * ![Late enhancement](assets/lge.png).  The archive copies issues/assets/
 * to <archive>/assets/, so the one published URL of that image is
 * base_url + "assets/lge.png"; messages and archive pages show that URL,
 * a preview a path to the file relative to the preview.  Pure: the caller
 * reads the files (archive_images.h) and hands the bytes in.
 */
#include <stddef.h>

struct strbuf;

#define IMAGE_DIR "assets/"
/* Over this, `check` warns: mobile readers pay for every byte. */
#define IMAGE_WARN_BYTES (1024 * 1024)

/*
 * 1 when url (as cmark gives it: percent-encoded) names a local image,
 * "assets/NAME" with an optional "./" before it, and no scheme, query,
 * fragment, empty, "." or ".." segment, backslash or control character
 * (nothing that could leave issues/assets/).  Then the file's path
 * relative to the issues directory (percent-decoded) is appended to
 * *file and the path relative to base_url (still encoded, "assets/...")
 * to *published; either may be NULL.  0 for anything else (a full URL is
 * not local; a path elsewhere is `check`'s "relative image" error).
 */
int image_local(const char *url, struct strbuf *file, struct strbuf *published);

/*
 * The pixel size a PNG, GIF or JPEG file declares in its header, read
 * from the first len bytes of the file (the whole file is always enough;
 * a JPEG's size can come after its metadata).  Returns the format's name
 * ("PNG", "GIF", "JPEG") and sets *width, *height (> 0), or NULL when buf
 * is none of these or is cut short.  Never reads outside buf.
 */
const char *image_dimensions(const unsigned char *buf, size_t len,
			     unsigned *width, unsigned *height);

/*
 * What the renderers show for each local image of an issue
 * (markdown_set_images): found by the URL as written.
 */
struct image_ref {
	char *url;		/* as in the Markdown (cmark's form) */
	char *src;		/* what the HTML and text show instead */
	char *path;		/* the file, for messages */
	int found;		/* the file exists and could be read */
	size_t bytes;		/* its size */
	unsigned width, height;	/* 0 when the format is not known */
};
struct image_map {
	struct image_ref *v;
	size_t n, alloc;
};
#define IMAGE_MAP_INIT { NULL, 0, 0 }

/* The entry for url, or NULL.  m may be NULL. */
const struct image_ref *image_map_find(const struct image_map *m, const char *url);
/* Add an entry (strings copied); a url already there is left as it is. */
void image_map_add(struct image_map *m, const struct image_ref *r);
void image_map_release(struct image_map *m);

#endif
