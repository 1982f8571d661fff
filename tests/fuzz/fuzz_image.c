/*
 * The image size reader, on the bytes of a file an editor put in
 * issues/assets/ (check, send and the archive read every local image's
 * header), and the local-image rule on the URL the editor wrote.  The
 * buffer is copied to one of exactly its size, so ASan catches any read
 * past it; a size found is never zero; a URL accepted as local never
 * leaves issues/assets/.  Seeds: the headers of a PNG, a GIF and JPEGs
 * (one with metadata before the frame header).
 */
#include "fuzz.h"
#include "base/strbuf.h"
#include "core/image.h"

/* 1 if every '/'-separated segment of path is a plain name. */
static int plain_segments(const char *path)
{
	const char *seg = path;

	for (;;) {
		const char *slash = strchr(seg, '/');
		size_t n = slash ? (size_t)(slash - seg) : strlen(seg);

		if (!n || (n == 1 && seg[0] == '.') || (n == 2 && !strncmp(seg, "..", 2)))
			return 0;
		if (!slash)
			return 1;
		seg = slash + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *copy;
	unsigned w, h;
	const char *type;
	struct strbuf file = STRBUF_INIT;
	char *url;

	fuzz_quiet();
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	type = image_dimensions(copy, size, &w, &h);
	FUZZ_CHECK(!type || (w > 0 && h > 0));
	free(copy);

	if (size > 4096)
		return 0;
	url = fuzz_cstr(data, size);
	if (image_local(url, &file, NULL)) {
		FUZZ_CHECK(!strncmp(file.buf, "assets/", 7));
		FUZZ_CHECK(plain_segments(file.buf) && !strchr(file.buf, '\\') &&
			   strlen(file.buf) == file.len);
	}
	strbuf_release(&file);
	free(url);
	return 0;
}
