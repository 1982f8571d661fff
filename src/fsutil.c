#include "common.h"
#include "strbuf.h"
#include "fsutil.h"

#include <fcntl.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>

int write_file_atomic(const char *path, const void *data, size_t len, int mode)
{
	struct strbuf tmp = STRBUF_INIT;
	const char *p = data;
	int fd, r = -1;

	strbuf_addf(&tmp, "%s.tmp.XXXXXX", path);
	fd = mkstemp(tmp.buf);
	if (fd < 0) {
		error("cannot create a temporary file beside '%s': %s", path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, (mode_t)mode) < 0) {
		error("cannot set mode of '%s': %s", tmp.buf, strerror(errno));
		goto fail;
	}
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error("cannot write '%s': %s", tmp.buf, strerror(errno));
			goto fail;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) < 0) {
		error("cannot sync '%s': %s", tmp.buf, strerror(errno));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		error("cannot close '%s': %s", tmp.buf, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp.buf, path) < 0) {
		error("cannot rename '%s' to '%s': %s", tmp.buf, path, strerror(errno));
		goto fail;
	}
	r = 0;
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp.buf);
out:
	strbuf_release(&tmp);
	return r;
}

int mkdir_p(const char *path, int mode)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	int r = 0;

	strbuf_addstr(&sb, path);
	for (i = 1; i <= sb.len && r == 0; i++) {
		if (i < sb.len && sb.buf[i] != '/')
			continue;
		sb.buf[i] = '\0';
		if (mkdir(sb.buf, (mode_t)mode) < 0 && errno != EEXIST)
			r = error("cannot create directory '%s': %s", sb.buf, strerror(errno));
		else if (!is_dir(sb.buf))
			r = error("'%s' exists and is not a directory", sb.buf);
		if (i < sb.len)
			sb.buf[i] = '/';
	}
	strbuf_release(&sb);
	return r;
}

void path_join(struct strbuf *out, const char *dir, const char *name)
{
	strbuf_reset(out);
	if (name[0] == '/' || !dir || !*dir) {
		strbuf_addstr(out, name);
		return;
	}
	strbuf_addstr(out, dir);
	if (out->buf[out->len - 1] != '/')
		strbuf_addch(out, '/');
	strbuf_addstr(out, name);
}

int path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int remove_tree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	struct strbuf sub = STRBUF_INIT;
	int r = 0;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : error("cannot stat '%s': %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0)
			return error("cannot remove '%s': %s", path, strerror(errno));
		return 0;
	}
	d = opendir(path);
	if (!d)
		return error("cannot open directory '%s': %s", path, strerror(errno));
	while (r == 0 && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		path_join(&sub, path, e->d_name);
		r = remove_tree(sub.buf);
	}
	closedir(d);
	strbuf_release(&sub);
	if (r == 0 && rmdir(path) < 0)
		r = error("cannot remove directory '%s': %s", path, strerror(errno));
	return r;
}
