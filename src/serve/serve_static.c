/*
 * The archive as static files.  The path comes already percent-decoded
 * from libmicrohttpd, so "%2e%2e" arrives here as ".." and is refused like
 * the literal one; symlinks are followed only while they stay inside the
 * archive (realpath, then a prefix check).
 */
#include "base/common.h"
#include "serve/serve_internal.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
	const char *ext;
	const char *type;
} types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "md", "text/plain; charset=utf-8" },
	{ "xml", "application/xml; charset=utf-8" },
	{ "atom", "application/atom+xml; charset=utf-8" },
	{ "rss", "application/rss+xml; charset=utf-8" },
	{ "json", "application/json" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "webp", "image/webp" },
	{ "avif", "image/avif" },
	{ "ico", "image/vnd.microsoft.icon" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "pdf", "application/pdf" },
	{ "eml", "message/rfc822" },
};

const char *serve_content_type(const char *name)
{
	const char *slash = strrchr(name, '/');
	const char *base = slash ? slash + 1 : name;
	const char *dot = strrchr(base, '.');
	size_t i;

	/* The archive's Atom feed is feed.xml (RFC 4287 §7). */
	if (!strcmp(base, "feed.xml"))
		return "application/atom+xml; charset=utf-8";
	if (dot)
		for (i = 0; i < ARRAY_SIZE(types); i++)
			if (!strcasecmp(dot + 1, types[i].ext))
				return types[i].type;
	return "application/octet-stream";
}

/* 1 if every '/'-separated segment is a plain name: no "", ".", "..", ".hidden", '\\'. */
static int path_is_clean(const char *path)
{
	const char *p = path;

	if (*p != '/')
		return 0;
	while (*p == '/') {
		const char *seg = ++p;

		while (*p && *p != '/') {
			if (*p == '\\' || (unsigned char)*p < 0x20)
				return 0;
			p++;
		}
		if (p == seg) {
			/* An empty segment is fine only as the trailing "/". */
			if (*p)
				return 0;
			break;
		}
		if (*seg == '.')
			return 0;
	}
	return 1;
}

static void not_found(struct serve_reply *r)
{
	r->status = 404;
}

void serve_static(const char *root, const char *path, struct serve_reply *r)
{
	struct strbuf file = STRBUF_INIT;
	char real[PATH_MAX];
	size_t rootlen;
	struct stat st;
	int fd = -1;

	if (!root || !path_is_clean(path)) {
		not_found(r);
		return;
	}
	rootlen = strlen(root);
	strbuf_addstr(&file, root);
	strbuf_addstr(&file, path);
	if (!realpath(file.buf, real) ||
	    strncmp(real, root, rootlen) || (real[rootlen] && real[rootlen] != '/'))
		goto missing;
	if (stat(real, &st) < 0)
		goto missing;
	if (S_ISDIR(st.st_mode)) {
		const char *last;

		if (path[strlen(path) - 1] != '/') {
			/* Relative, so a path prefix on the proxy survives. */
			last = strrchr(path, '/') + 1;
			r->status = 301;
			r->location = xmalloc(strlen(last) + 2);
			memcpy(r->location, last, strlen(last));
			memcpy(r->location + strlen(last), "/", 2);
			strbuf_release(&file);
			return;
		}
		strbuf_reset(&file);
		strbuf_addstr(&file, real);
		strbuf_addstr(&file, "/index.html");
		if (!realpath(file.buf, real) ||
		    strncmp(real, root, rootlen) || real[rootlen] != '/')
			goto missing;
	}
	fd = open(real, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		goto missing;
	r->status = 200;
	r->fd = fd;
	r->size = (uint64_t)st.st_size;
	r->content_type = serve_content_type(real);
	r->cacheable = 1;
	strbuf_release(&file);
	return;
missing:
	if (fd >= 0)
		close(fd);
	strbuf_release(&file);
	not_found(r);
}
