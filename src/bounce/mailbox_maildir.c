/*
 * Maildir backend: PATH/new and PATH/cur read as files.  libetpan's own
 * maildir reader is not used because maildir_update() creates a
 * "maildirfolder" file in the mailbox on every call, which a --dry-run
 * must never do, and which marks the directory as a Maildir++ subfolder.
 *
 * Folders are Maildir++ (as Dovecot and Courier lay them out): folder F
 * of the maildir PATH is PATH/.F/ with its own cur/, new/ and tmp/, so the
 * same folders are seen over IMAP.  A move is one rename(2) on one file
 * system: the message is in one place or the other, never both or none.
 */
#include "base/common.h"
#include "base/fsutil.h"
#include "base/strbuf.h"
#include "bounce/mailbox_internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

struct maildir {
	char **names;		/* "new/NAME" or "cur/NAME", relative to the maildir */
	size_t n, next;
};

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_dir(struct mailbox *mb, struct maildir *md, const char *sub, size_t *alloc)
{
	struct strbuf path = STRBUF_INIT;
	DIR *d;
	struct dirent *e;

	strbuf_addf(&path, "%s/%s", mb->spec.path, sub);
	d = opendir(path.buf);
	if (!d) {
		error("%s: cannot read '%s': %s", mb->desc, path.buf, strerror(errno));
		strbuf_release(&path);
		return -1;
	}
	while ((e = readdir(d))) {
		struct strbuf rel = STRBUF_INIT;

		/* Dot-files are not messages (maildir(5): names never start with '.'). */
		if (e->d_name[0] == '.')
			continue;
		strbuf_addf(&rel, "%s/%s", sub, e->d_name);
		ALLOC_GROW(md->names, md->n + 1, *alloc);
		md->names[md->n++] = strbuf_detach(&rel, NULL);
	}
	closedir(d);
	strbuf_release(&path);
	return 0;
}

static void maildir_free(struct maildir *md)
{
	size_t i;

	if (!md)
		return;
	for (i = 0; i < md->n; i++)
		free(md->names[i]);
	free(md->names);
	free(md);
}

static int maildir_next(struct mailbox *mb, struct mailbox_msg *m)
{
	struct maildir *md = mb->priv;

	while (md->next < md->n) {
		const char *rel = md->names[md->next++];
		struct strbuf path = STRBUF_INIT, data = STRBUF_INIT;

		strbuf_addf(&path, "%s/%s", mb->spec.path, rel);
		if (strbuf_read_file(&data, path.buf) < 0) {
			int e = errno;

			strbuf_release(&data);
			if (e == ENOENT) {
				/* Taken by another reader since the listing: not ours any more. */
				strbuf_release(&path);
				continue;
			}
			error("%s: cannot read '%s': %s", mb->desc, path.buf, strerror(e));
			strbuf_release(&path);
			return -1;
		}
		strbuf_release(&path);
		m->id = xstrdup(rel);
		m->data = strbuf_detach(&data, &m->len);
		return 1;
	}
	return 0;
}

/* PATH/.FOLDER with cur/, new/ and tmp/, created when missing. */
static int ensure_folder(struct mailbox *mb, const char *folder, struct strbuf *dir)
{
	static const char *const subs[] = { "cur", "new", "tmp" };
	struct strbuf p = STRBUF_INIT;
	size_t i;
	int fd;

	if (!*folder || strchr(folder, '/') || folder[0] == '.')
		return error("%s: folder '%s' cannot be a Maildir++ folder (no '/', "
			     "no leading '.'); change [bounces] processed", mb->desc, folder);
	strbuf_reset(dir);
	strbuf_addf(dir, "%s/.%s", mb->spec.path, folder);
	for (i = 0; i < ARRAY_SIZE(subs); i++) {
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/%s", dir->buf, subs[i]);
		if (mkdir_p(p.buf, 0700) < 0) {
			strbuf_release(&p);
			return -1;
		}
	}
	/* Maildir++ marks a subfolder with this empty file. */
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/maildirfolder", dir->buf);
	fd = open(p.buf, O_WRONLY | O_CREAT, 0600);
	if (fd >= 0)
		close(fd);
	strbuf_release(&p);
	return 0;
}

/*
 * The name with the Seen flag: "cur/NAME:2,FLAGS" with 'S' added in ASCII
 * order (maildir(5) "info"); a message in new/ moves to cur/.
 */
static void seen_name(struct strbuf *out, const char *rel)
{
	const char *base = strchr(rel, '/') + 1;
	const char *info = strstr(base, ":2,");
	const char *f;

	strbuf_addstr(out, "cur/");
	if (!info) {
		strbuf_addf(out, "%s:2,S", base);
		return;
	}
	strbuf_add(out, base, (size_t)(info + 3 - base));
	for (f = info + 3; *f && *f < 'S'; f++)
		strbuf_addch(out, *f);
	if (*f != 'S')
		strbuf_addch(out, 'S');
	strbuf_addstr(out, f);
}

static int maildir_dispose(struct mailbox *mb, const struct mailbox_msg *m,
			   enum mailbox_disposition d)
{
	const char *folder = mailbox_target_folder(mb, d);
	struct strbuf from = STRBUF_INIT, to = STRBUF_INIT, dir = STRBUF_INIT;
	int r = 0;

	if (strncmp(m->id, "new/", 4) && strncmp(m->id, "cur/", 4))
		BUG("maildir message id '%s'", m->id);
	strbuf_addf(&from, "%s/%s", mb->spec.path, m->id);
	if (folder) {
		if (ensure_folder(mb, folder, &dir) < 0) {
			r = -1;
			goto out;
		}
		strbuf_addf(&to, "%s/%s", dir.buf, m->id);
		if (rename(from.buf, to.buf) < 0)
			r = error("%s: cannot move '%s' to '%s': %s", mb->desc, from.buf,
				  to.buf, strerror(errno));
	} else if (mb->processed == MAILBOX_SEEN) {
		strbuf_addf(&to, "%s/", mb->spec.path);
		seen_name(&to, m->id);
		if (strcmp(from.buf, to.buf) && rename(from.buf, to.buf) < 0)
			r = error("%s: cannot mark '%s' seen: %s", mb->desc, from.buf,
				  strerror(errno));
	} else if (unlink(from.buf) < 0 && errno != ENOENT) {
		r = error("%s: cannot delete '%s': %s", mb->desc, from.buf, strerror(errno));
	}
out:
	strbuf_release(&from);
	strbuf_release(&to);
	strbuf_release(&dir);
	return r;
}

static void maildir_close(struct mailbox *mb)
{
	maildir_free(mb->priv);
	mb->priv = NULL;
}

static const struct mailbox_ops maildir_ops = { maildir_next, maildir_dispose, maildir_close };

int mailbox_maildir_open(struct mailbox *mb)
{
	struct maildir *md;
	struct strbuf p = STRBUF_INIT;
	size_t alloc = 0;
	int ok;

	strbuf_addf(&p, "%s/cur", mb->spec.path);
	ok = is_dir(p.buf);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/new", mb->spec.path);
	ok = ok && is_dir(p.buf);
	strbuf_release(&p);
	if (!ok)
		return error("%s: '%s' is not a Maildir (it needs cur/ and new/); "
			     "check [bounces] mailbox", mb->desc, mb->spec.path);
	md = xcalloc(1, sizeof(*md));
	if (list_dir(mb, md, "new", &alloc) < 0 || list_dir(mb, md, "cur", &alloc) < 0) {
		maildir_free(md);
		return -1;
	}
	/* Maildir names begin with the delivery time: sorted is roughly oldest first. */
	if (md->n)
		qsort(md->names, md->n, sizeof(*md->names), cmp_names);
	mb->count = (long)md->n;
	mb->ops = &maildir_ops;
	mb->priv = md;
	return 0;
}
