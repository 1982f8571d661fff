/*
 * image.c: which URLs are local images (nothing may leave issues/assets/),
 * the sizes PNG, GIF and JPEG headers declare (also cut short anywhere),
 * and the map the renderers look them up in.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "core/image.h"
#include "tap.h"

static void test_local(void)
{
	static const char *const no[] = {
		"https://news.example.org/assets/x.png", "assets/", "assets", "images/x.png",
		"/assets/x.png", "assets/../config.ini", "assets/%2e%2e/config.ini",
		"assets/a//b.png", "assets/./x.png", "assets/x.png?v=2", "assets/x.png#top",
		"assets/a%5cb.png", "assets/%00.png", "assets/%zz.png", "assets/{{x}}.png",
		"../assets/x.png", "assets/x/..",
	};
	struct strbuf file = STRBUF_INIT, pub = STRBUF_INIT;
	size_t i;

	ok(image_local("assets/lge.png", &file, &pub), "assets/lge.png is local");
	is_str(file.buf, "assets/lge.png", "  its file");
	is_str(pub.buf, "assets/lge.png", "  its published path");
	strbuf_reset(&file);
	strbuf_reset(&pub);
	ok(image_local("./assets/2026/lge%20dcm.png", &file, &pub), "./assets/2026/lge%%20dcm.png is local");
	is_str(file.buf, "assets/2026/lge dcm.png", "  the file name decoded");
	is_str(pub.buf, "assets/2026/lge%20dcm.png", "  the URL kept encoded");
	for (i = 0; i < ARRAY_SIZE(no); i++)
		ok(!image_local(no[i], NULL, NULL), "'%s' is not", no[i]);
	strbuf_release(&file);
	strbuf_release(&pub);
}

static const unsigned char png[] = {
	0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
	0, 0, 0x04, 0xb0, 0, 0, 0x02, 0x58, 8, 2, 0, 0, 0,
};
static const unsigned char gif[] = { 'G', 'I', 'F', '8', '9', 'a', 100, 0, 50, 0, 0, 0, 0, ';' };
/* SOI, APP0 (JFIF), DQT-like filler, fill bytes, SOF2 (progressive) 64x48. */
static const unsigned char jpeg[] = {
	0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
	0xff, 0xdb, 0, 4, 0, 0, 0xff, 0xff, 0xc2, 0, 11, 8, 0, 48, 0, 64, 1, 1, 0x11, 0,
	0xff, 0xd9,
};

static void test_dimensions(void)
{
	unsigned w, h;
	size_t n;
	int cut_ok = 1;

	is_str(image_dimensions(png, sizeof(png), &w, &h), "PNG", "a PNG");
	ok(w == 1200 && h == 600, "  1200x600 (%ux%u)", w, h);
	is_str(image_dimensions(gif, sizeof(gif), &w, &h), "GIF", "a GIF");
	ok(w == 100 && h == 50, "  100x50 (%ux%u)", w, h);
	is_str(image_dimensions(jpeg, sizeof(jpeg), &w, &h), "JPEG", "a JPEG, the frame after other segments");
	ok(w == 64 && h == 48, "  64x48 (%ux%u)", w, h);
	/* Cut anywhere before the size: nothing, and no read past the end (ASan). */
	for (n = 0; n < 24; n++)
		cut_ok &= !image_dimensions(png, n, &w, &h);
	for (n = 0; n < 10; n++)
		cut_ok &= !image_dimensions(gif, n, &w, &h);
	for (n = 0; n < 36; n++)
		cut_ok &= !image_dimensions(jpeg, n, &w, &h);
	ok(cut_ok, "a header cut short gives no size");
	ok(!image_dimensions((const unsigned char *)"<svg/>", 6, &w, &h), "an SVG has no header size");
}

static void test_map(void)
{
	struct image_map m = IMAGE_MAP_INIT;
	struct image_ref r = { (char *)"assets/a.png", (char *)"https://x/assets/a.png", (char *)"p",
			       1, 10, 3, 4 };
	const struct image_ref *got;

	image_map_add(&m, &r);
	r.src = (char *)"other";
	image_map_add(&m, &r);
	got = image_map_find(&m, "assets/a.png");
	ok(m.n == 1 && got && !strcmp(got->src, "https://x/assets/a.png") && got->width == 3,
	   "the first entry for a URL is kept");
	ok(!image_map_find(&m, "assets/b.png") && !image_map_find(NULL, "assets/a.png"),
	   "an unknown URL, or no map, finds nothing");
	image_map_release(&m);
}

int main(void)
{
	test_local();
	test_dimensions();
	test_map();
	return tap_done();
}
