#include "base/common.h"
#include "base/strbuf.h"
#include "base/fsutil.h"

#include <fcntl.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>

int atomic_file_open(struct atomic_file *f, const char *path, int mode)
{
	struct strbuf tmp = STRBUF_INIT;

	memset(f, 0, sizeof(*f));
	strbuf_addf(&tmp, "%s.tmp.XXXXXX", path);
	f->fd = mkstemp(tmp.buf);
	if (f->fd < 0) {
		error("cannot create a temporary file beside '%s': %s", path, strerror(errno));
		strbuf_release(&tmp);
		return -1;
	}
	f->tmp = strbuf_detach(&tmp, NULL);
	f->path = xstrdup(path);
	if (fchmod(f->fd, (mode_t)mode) < 0) {
		error("cannot set mode of '%s': %s", f->tmp, strerror(errno));
		atomic_file_abort(f);
		return -1;
	}
	return 0;
}

int atomic_file_write(struct atomic_file *f, const void *data, size_t len)
{
	const char *p = data;

	while (len && !f->failed) {
		ssize_t n = write(f->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			f->failed = error("cannot write '%s': %s", f->tmp, strerror(errno));
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	return f->failed ? -1 : 0;
}

static void atomic_file_release(struct atomic_file *f)
{
	free(f->tmp);
	free(f->path);
	f->tmp = f->path = NULL;
	f->fd = -1;
}

void atomic_file_abort(struct atomic_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	unlink(f->tmp);
	atomic_file_release(f);
}

int atomic_file_commit(struct atomic_file *f)
{
	if (f->failed) {
		atomic_file_abort(f);
		return -1;
	}
	if (fsync(f->fd) < 0) {
		error("cannot sync '%s': %s", f->tmp, strerror(errno));
		atomic_file_abort(f);
		return -1;
	}
	if (close(f->fd) < 0) {
		f->fd = -1;
		error("cannot close '%s': %s", f->tmp, strerror(errno));
		atomic_file_abort(f);
		return -1;
	}
	f->fd = -1;
	if (rename(f->tmp, f->path) < 0) {
		error("cannot rename '%s' to '%s': %s", f->tmp, f->path, strerror(errno));
		atomic_file_abort(f);
		return -1;
	}
	atomic_file_release(f);
	return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, int mode)
{
	struct atomic_file f;

	if (atomic_file_open(&f, path, mode) < 0)
		return -1;
	if (atomic_file_write(&f, data, len) < 0) {
		atomic_file_abort(&f);
		return -1;
	}
	return atomic_file_commit(&f);
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

int write_file(const char *path, const void *data, size_t len, int mode)
{
	const char *p = data;
	int fd, r = 0;
	size_t off = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return error("cannot write '%s': %s", path, strerror(errno));
	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = error("cannot write '%s': %s", path, strerror(errno));
			break;
		}
		off += (size_t)w;
	}
	if (close(fd) < 0 && !r)
		r = error("cannot write '%s': %s", path, strerror(errno));
	return r;
}

int copy_file(const char *from, const char *to, int mode)
{
	struct strbuf data = STRBUF_INIT;
	int r;

	if (strbuf_read_file(&data, from) < 0)
		r = error("cannot read '%s': %s", from, strerror(errno));
	else
		r = write_file(to, data.buf, data.len, mode);
	strbuf_release(&data);
	return r;
}

int link_or_copy_file(const char *from, const char *to, int mode)
{
	struct strbuf data = STRBUF_INIT;
	int r;

	if (link(from, to) == 0)
		return 0;
	if (strbuf_read_file(&data, from) < 0)
		return -1;
	r = write_file(to, data.buf, data.len, mode);
	strbuf_release(&data);
	return r;
}

int copy_tree(const char *from, const char *to, int mode)
{
	DIR *d = opendir(from);
	struct dirent *de;
	int r = 0;

	if (!d)
		return error("cannot read directory '%s': %s", from, strerror(errno));
	if (mkdir_p(to, 0755) < 0) {
		closedir(d);
		return -1;
	}
	while (!r && (de = readdir(d))) {
		struct strbuf f = STRBUF_INIT, t = STRBUF_INIT;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		path_join(&f, from, de->d_name);
		path_join(&t, to, de->d_name);
		if (lstat(f.buf, &st) < 0)
			r = error("cannot read '%s': %s", f.buf, strerror(errno));
		else if (S_ISLNK(st.st_mode))
			warning("'%s' is a symbolic link: not copied (it could point anywhere, "
				"the database included); copy the file itself there", f.buf);
		else if (S_ISDIR(st.st_mode))
			r = copy_tree(f.buf, t.buf, mode);
		else if (S_ISREG(st.st_mode))
			r = copy_file(f.buf, t.buf, mode);
		strbuf_release(&f);
		strbuf_release(&t);
	}
	closedir(d);
	return r;
}
