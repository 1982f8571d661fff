/*
 * The spool of unsubscribes that could not wait for the database: see
 * store_spool.h.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "store/store.h"
#include "store/store_internal.h"
#include "store/store_spool.h"

#include <fcntl.h>
#include <libgen.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

void store_spool_path(struct strbuf *out, const char *database)
{
	strbuf_addf(out, "%s-unsubscribes", database);
}

/* A field of a spool line: no TAB, line break or other control character. */
static int plain(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/*
 * The spool's lock ("...-unsubscribes.lock"), held while a line is
 * appended and for a whole apply: an apply must not take the spool aside
 * between a writer's open() and its write(), nor two applies (serve's and
 * send's) each remove what the other took aside.  The fd, or -1 after error().
 */
static int spool_lock(const char *database)
{
	struct strbuf path = STRBUF_INIT;
	int fd;

	store_spool_path(&path, database);
	strbuf_addstr(&path, ".lock");
	fd = open(path.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		error("cannot lock '%s': %s", path.buf, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	strbuf_release(&path);
	return fd;
}

/* fsync() the directory holding path, so a new file's name is durable too. */
static void sync_dir_of(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(copy);
}

int store_spool_unsubscribe(const char *database, const char *email, const char *list,
			    const char *reason, int64_t now)
{
	struct strbuf path = STRBUF_INIT, line = STRBUF_INIT;
	int fd, r = 0, created, lock;

	if (!plain(email) || !plain(list) || !plain(reason))
		return error("cannot spool an unsubscribe: a control character in its address, "
			     "list or reason");
	if ((lock = spool_lock(database)) < 0)
		return -1;
	store_spool_path(&path, database);
	strbuf_addf(&line, "%s\t%s\t%s\t%lld\n", email, list, reason, (long long)now);
	created = access(path.buf, F_OK) != 0;
	fd = open(path.buf, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = error("cannot open '%s': %s", path.buf, strerror(errno));
		goto out;
	}
	/* One write() of one line, under the lock. */
	if (write(fd, line.buf, line.len) != (ssize_t)line.len || fsync(fd) < 0)
		r = error("cannot write '%s': %s", path.buf, strerror(errno));
	if (close(fd) < 0 && !r)
		r = error("cannot write '%s': %s", path.buf, strerror(errno));
	if (!r && created)
		sync_dir_of(path.buf);
out:
	close(lock);
	strbuf_release(&path);
	strbuf_release(&line);
	return r;
}

int store_spool_pending(const char *database)
{
	struct strbuf path = STRBUF_INIT;
	int r;

	store_spool_path(&path, database);
	r = access(path.buf, F_OK) == 0;
	strbuf_addstr(&path, ".applying");
	r = r || access(path.buf, F_OK) == 0;
	strbuf_release(&path);
	return r;
}

/* Apply every line of the file at path; 0 when all were applied. */
static int apply_file(struct store *st, const char *path, int *applied)
{
	struct strbuf data = STRBUF_INIT;
	char *line, *next;
	int r = 0;

	if (strbuf_read_file(&data, path) < 0) {
		strbuf_release(&data);
		return errno == ENOENT ? 0 : error("cannot read '%s': %s", path, strerror(errno));
	}
	for (line = data.buf; *line && !r; line = next) {
		char *f[4], *p = line;
		int k;

		next = strchr(line, '\n');
		if (!next)
			break;	/* a line cut short by a crash mid-write: never answered */
		*next++ = '\0';
		for (k = 0; k < 4; k++) {
			f[k] = p;
			p = k < 3 ? strchr(p, '\t') : NULL;
			if (k < 3 && !p)
				break;
			if (p)
				*p++ = '\0';
		}
		if (k < 4 || !*f[0] || !*f[1]) {
			warning("'%s': a malformed line is skipped", path);
			continue;
		}
		if (store_unsubscribe(st, f[0], f[1], f[2]) < 0)
			r = -1;
		else
			(*applied)++;
	}
	strbuf_release(&data);
	if (!r && unlink(path) < 0 && errno != ENOENT)
		r = error("cannot remove '%s': %s", path, strerror(errno));
	return r;
}

int store_spool_apply(struct store *st)
{
	struct strbuf path = STRBUF_INIT, aside = STRBUF_INIT;
	int applied = 0, r, lock;

	if (!store_spool_pending(st->path))
		return 0;
	if ((lock = spool_lock(st->path)) < 0)
		return -1;
	store_spool_path(&path, st->path);
	strbuf_addf(&aside, "%s.applying", path.buf);
	/* What a previous apply left first; then take the spool aside and apply it. */
	r = apply_file(st, aside.buf, &applied);
	if (!r && access(path.buf, F_OK) == 0) {
		if (rename(path.buf, aside.buf) < 0)
			r = error("cannot rename '%s': %s", path.buf, strerror(errno));
		else
			r = apply_file(st, aside.buf, &applied);
	}
	close(lock);
	strbuf_release(&path);
	strbuf_release(&aside);
	return r < 0 ? -1 : applied;
}
