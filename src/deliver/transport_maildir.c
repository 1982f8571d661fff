/*
 * The Maildir outbox: the default transport, so that a fresh checkout runs
 * end to end without a mail server.  Each message is written to tmp/,
 * fsync'd, and renamed into new/ (the Maildir delivery protocol,
 * https://cr.yp.to/proto/maildir.html), so a reader never sees a partial
 * file, and new/ is fsync'd so that the rename survives a crash before the
 * journal records the message as sent.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/fsutil.h"
#include "base/config.h"
#include "deliver/transport_internal.h"

#include <fcntl.h>
#include <unistd.h>
#include <time.h>
#include <stdatomic.h>
#include <sys/random.h>
#include <sys/time.h>

struct maildir {
	struct transport base;
	char *dir;
	char *tmp;
	char *new;
	int newfd;		/* new/, for fsync after each rename */
};

/* Unique across threads of this process; pid and time separate processes. */
static atomic_ulong maildir_counter;

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void maildir_send(struct transport *t, const char *from, const char *rcpt,
			 const char *msg, size_t len, struct transport_status *st)
{
	struct maildir *md = (struct maildir *)t;
	struct strbuf name = STRBUF_INIT, tmp = STRBUF_INIT, dst = STRBUF_INIT;
	struct strbuf hdr = STRBUF_INIT;
	struct timeval tv;
	unsigned int rnd = 0;
	int fd;

	gettimeofday(&tv, NULL);
	if (getrandom(&rnd, sizeof(rnd), 0) < 0)
		rnd = 0;
	/* time.MusecPpid_Qcounter_Rrandom.newsbeat.eml: unique per Maildir rules */
	strbuf_addf(&name, "%lld.M%06ldP%ldQ%luR%08x.newsbeat.eml",
		    (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(),
		    atomic_fetch_add(&maildir_counter, 1) + 1, rnd);
	path_join(&tmp, md->tmp, name.buf);
	path_join(&dst, md->new, name.buf);
	/* What a delivery agent adds (RFC 5321 4.4): the envelope stays visible. */
	strbuf_addf(&hdr, "Return-Path: <%s>\r\nDelivered-To: %s\r\n", from, rcpt);

	/* A message names its recipient: for the owner only, whatever the umask. */
	fd = open(tmp.buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		st->result = TRANSPORT_FATAL;
		transport_set_reply(st, "cannot create '%s': %s", tmp.buf, strerror(errno));
		goto out;
	}
	if (write_all(fd, hdr.buf, hdr.len) < 0 || write_all(fd, msg, len) < 0 ||
	    fsync(fd) < 0) {
		st->result = TRANSPORT_FATAL;
		transport_set_reply(st, "cannot write '%s': %s", tmp.buf, strerror(errno));
		close(fd);
		unlink(tmp.buf);
		goto out;
	}
	if (close(fd) < 0 || rename(tmp.buf, dst.buf) < 0) {
		st->result = TRANSPORT_FATAL;
		transport_set_reply(st, "cannot move '%s' into new/: %s", tmp.buf, strerror(errno));
		unlink(tmp.buf);
		goto out;
	}
	if (fsync(md->newfd) < 0) {
		st->result = TRANSPORT_FATAL;
		transport_set_reply(st, "cannot sync '%s': %s", md->new, strerror(errno));
		goto out;
	}
	st->result = TRANSPORT_SENT;
	st->code = 250;
	transport_set_reply(st, "delivered to %s", dst.buf);
out:
	strbuf_release(&name);
	strbuf_release(&tmp);
	strbuf_release(&dst);
	strbuf_release(&hdr);
}

static void maildir_close(struct transport *t)
{
	struct maildir *md = (struct maildir *)t;

	if (md->newfd >= 0)
		close(md->newfd);
	free(md->dir);
	free(md->tmp);
	free(md->new);
	free(md);
}

static const struct transport_ops maildir_ops = {
	maildir_send, maildir_close, 1,
};

struct transport *transport_maildir_open(const struct config *cfg)
{
	struct maildir *md = xcalloc(1, sizeof(*md));
	struct strbuf sb = STRBUF_INIT;

	md->base.ops = &maildir_ops;
	md->newfd = -1;
	md->dir = xstrdup(cfg->outbox);
	path_join(&sb, md->dir, "tmp");
	md->tmp = strbuf_detach(&sb, NULL);
	path_join(&sb, md->dir, "new");
	md->new = strbuf_detach(&sb, NULL);
	path_join(&sb, md->dir, "cur");
	if (mkdir_p(md->tmp, 0700) < 0 || mkdir_p(md->new, 0700) < 0 ||
	    mkdir_p(sb.buf, 0700) < 0)
		goto fail;
	md->newfd = open(md->new, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (md->newfd < 0) {
		error("cannot open '%s': %s", md->new, strerror(errno));
		goto fail;
	}
	snprintf(md->base.describe, sizeof(md->base.describe), "Maildir %s/", md->dir);
	strbuf_release(&sb);
	return &md->base;
fail:
	strbuf_release(&sb);
	maildir_close(&md->base);
	return NULL;
}
