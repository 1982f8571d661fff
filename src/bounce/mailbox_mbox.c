/*
 * mbox backend: the file is mapped read-only and split with mbox_split()
 * one message per call, so memory holds one message however large the
 * file (pages already read are released as it goes).  The file is never rewritten: rewriting an mbox that an MTA
 * appends to is how mail gets lost, so every disposition keeps the
 * message where it is and a rerun recognises it by its content.
 *
 * While open, a shared fcntl lock is held (the lock Postfix's local(8)
 * and procmail take before appending), so no delivery is half-written
 * in the part that was mapped.
 */
#include "base/common.h"
#include "bounce/mailbox_internal.h"
#include "bounce/mbox.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MBOX_LOCK_TRIES 10	/* one a second */

struct mbox {
	int fd;
	char *data;		/* the mapping, NULL for an empty file */
	size_t len, off;	/* off: where the next message's separator starts */
	size_t dropped;		/* pages before this are released */
};

struct step {
	size_t base;		/* offset of the slice given to mbox_split */
	struct mailbox_msg *m;
	size_t next;		/* the following message's separator, or 0 */
	int got;
};

static int take_one(void *ctx, const char *msg, size_t msglen, size_t offset)
{
	struct step *st = ctx;
	char buf[32];

	if (st->got) {
		/* The second message: only its start is wanted. */
		st->next = st->base + offset;
		return 1;
	}
	st->m->data = xmalloc(msglen + 1);
	memcpy(st->m->data, msg, msglen);
	st->m->data[msglen] = '\0';
	st->m->len = msglen;
	snprintf(buf, sizeof(buf), "%zu", st->base + offset);
	st->m->id = xstrdup(buf);
	st->got = 1;
	return 0;
}

/*
 * Hand the pages already read back to the kernel, so the mapping's share
 * of resident memory stays one message wide, not the file's size.
 */
static void release_read(struct mbox *x)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t upto = x->off / page * page;

	if (upto > x->dropped + 64 * page) {
		madvise(x->data + x->dropped, upto - x->dropped, MADV_DONTNEED);
		x->dropped = upto;
	}
}

static int mbox_next(struct mailbox *mb, struct mailbox_msg *m)
{
	struct mbox *x = mb->priv;
	struct step st = { x->off, m, 0, 0 };

	if (x->off >= x->len)
		return 0;
	mbox_split(x->data + x->off, x->len - x->off, take_one, &st);
	if (!st.got) {
		x->off = x->len;
		return 0;
	}
	x->off = st.next > x->off ? st.next : x->len;
	release_read(x);
	return 1;
}

static int mbox_dispose(struct mailbox *mb, const struct mailbox_msg *m,
			enum mailbox_disposition d)
{
	(void)mb;
	(void)m;
	(void)d;
	return 0;
}

static void mbox_free(struct mbox *x)
{
	if (x->data)
		munmap(x->data, x->len);
	if (x->fd >= 0)
		close(x->fd);	/* releases the lock */
	free(x);
}

static void mbox_close(struct mailbox *mb)
{
	mbox_free(mb->priv);
	mb->priv = NULL;
}

static const struct mailbox_ops mbox_ops = { mbox_next, mbox_dispose, mbox_close };

static int lock_shared(struct mailbox *mb, int fd)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	int i;

	for (i = 0; i < MBOX_LOCK_TRIES; i++) {
		if (fcntl(fd, F_SETLK, &fl) == 0)
			return 0;
		if (errno != EACCES && errno != EAGAIN)
			return error("%s: cannot lock '%s': %s", mb->desc, mb->spec.path,
				     strerror(errno));
		sleep(1);
	}
	return error("%s: '%s' stays locked by another program (a delivery?); try again later",
		     mb->desc, mb->spec.path);
}

int mailbox_mbox_open(struct mailbox *mb)
{
	struct mbox *x = xcalloc(1, sizeof(*x));
	struct stat st;

	x->fd = open(mb->spec.path, O_RDONLY | O_CLOEXEC);
	if (x->fd < 0) {
		error("%s: cannot open '%s': %s", mb->desc, mb->spec.path, strerror(errno));
		goto fail;
	}
	if (fstat(x->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		error("%s: '%s' is not an mbox file; check [bounces] mailbox", mb->desc,
		      mb->spec.path);
		goto fail;
	}
	if (lock_shared(mb, x->fd) < 0)
		goto fail;
	/* The size once locked: what an MTA appends later waits for the next run. */
	if (fstat(x->fd, &st) < 0) {
		error("%s: cannot stat '%s': %s", mb->desc, mb->spec.path, strerror(errno));
		goto fail;
	}
	x->len = (size_t)st.st_size;
	if (x->len) {
		x->data = mmap(NULL, x->len, PROT_READ, MAP_PRIVATE, x->fd, 0);
		if (x->data == MAP_FAILED) {
			x->data = NULL;
			error("%s: cannot map '%s': %s", mb->desc, mb->spec.path, strerror(errno));
			goto fail;
		}
		madvise(x->data, x->len, MADV_SEQUENTIAL);
	}
	if (!mb->read_only && mb->processed == MAILBOX_DELETE)
		warning("%s: an mbox is never rewritten: handled messages stay in it "
			"(a rerun recognises them); use a Maildir or IMAP to have them removed",
			mb->desc);
	mb->ops = &mbox_ops;
	mb->priv = x;
	return 0;
fail:
	mbox_free(x);
	return -1;
}
