#ifndef ARCHIVE_IMAGES_H
#define ARCHIVE_IMAGES_H
/*
 * The local images of an issue (core/image.h) as the archive publishes
 * them: it copies [paths] issues/assets/ to <archive>/assets/, so
 * ![...](assets/lge.png) is served at base_url + "assets/lge.png" — the
 * one URL a message and an archive page show.  A preview shows the file
 * itself, by a path relative to the preview's directory.
 */
struct config;
struct markdown;
struct image_map;

/*
 * Add to *out an entry for each image of m whose URL image_local()
 * accepts: the file under [paths] issues read (found, bytes, and width
 * and height from its header when it is a PNG, GIF or JPEG), and src
 * the published URL, or with preview_dir non-NULL the file's path
 * relative to that directory (which must exist).  A missing file is an
 * entry with found 0 and the published URL: `check` refuses it, the
 * renderers never fail on it.  Reports nothing.
 */
void archive_images_collect(const struct config *cfg, const struct markdown *m,
			    const char *preview_dir, struct image_map *out);

/*
 * The files of the local images of the Markdown body[0..len), each once,
 * in the order they first appear: paths relative to [paths] issues
 * ("assets/lge.png"), whether the file exists or not.  *files is a new
 * array of n new strings (NULL when there are none):
 * archive_images_files_free() them.
 */
void archive_images_files(const char *body, size_t len, char ***files, size_t *n);
void archive_images_files_free(char **files, size_t n);

#endif
