/*
 * The sender engine over the journal: Maildir (resume, --limit,
 * cancellation) and SMTP against Postfix's smtp-sink on loopback with
 * faults injected at each stage (-r 4xx, -f 5xx, -Q 421 and close,
 * -q silent close), checking how each outcome is classified and recorded.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/fsutil.h"
#include "base/config.h"
#include "store/journal.h"
#include "store/store.h"
#include "deliver/sender.h"
#include "deliver/transport_internal.h"
#include "tap.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/nb-sender.XXXXXX";

/* The recipient whose message cannot be built (set between runs only). */
static const char *build_fails_for;

static int build(void *data, const struct journal_row *row, struct strbuf *eml,
		 struct strbuf *msgid)
{
	(void)data;
	if (build_fails_for && !strcmp(row->email, build_fails_for))
		return error("test: the message to %s cannot be built", row->email);
	strbuf_addf(eml, "From: news@example.org\r\nTo: %s\r\nSubject: test\r\n\r\n"
		     "Hello %s\r\n.a line with a dot\r\n", row->email, row->name);
	strbuf_addf(msgid, "%s.id@example.org", row->email);
	return 0;
}

/* Subscribe user0..user(n-1) to "members" in the store of journal `name`. */
static int subscribe_all(const char *name, int n)
{
	struct strbuf db = STRBUF_INIT, email = STRBUF_INIT;
	struct store *st;
	enum store_result sres;
	int i;

	strbuf_addf(&db, "%s/%s.db", dir, name);
	st = store_open(db.buf);
	for (i = 0; st && i < n; i++) {
		struct store_subscriber sub = { NULL, "Reader", 0, NULL, NULL };

		strbuf_reset(&email);
		/* Two domains, alternating: a relay-wide refusal meets both. */
		strbuf_addf(&email, "user%d@example.%s", i, i % 2 ? "net" : "org");
		sub.email = email.buf;
		store_subscribe(st, &sub, "members", 0, &sres, NULL);
	}
	store_close(st);
	strbuf_release(&db);
	strbuf_release(&email);
	return st != NULL;
}

static int state_of(void *data, const struct journal_entry *e)
{
	struct { const char *email; int state; } *q = data;

	if (!strcmp(e->email, q->email))
		q->state = (int)e->state;
	return 0;
}

static int count_odd_sent(void *data, const struct journal_entry *e)
{
	int n = atoi(e->email + strlen("user"));

	if (n % 2)
		++*(int *)data;
	return 0;
}

static int diag_row(void *data, const struct journal_entry *e)
{
	(void)data;
	diag("  %s %s (%d attempts): %s", journal_state_name(e->state), e->email, e->attempts, e->reply);
	return 0;
}

/*
 * A clock that only the sleep hook moves: waiting out a relay outage
 * takes no time.  The sleeps are recorded (the tests that read them run
 * one connection); the workers call both.
 */
static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;
static double fake_now;
static double sleeps[1024];
static int nsleeps;

static double fake_clock(void *data)
{
	double t;

	(void)data;
	pthread_mutex_lock(&fake_lock);
	t = fake_now;
	pthread_mutex_unlock(&fake_lock);
	return t;
}

/* Set: the first sleep unsubscribes this address from "members" in that store. */
static const char *unsub_on_sleep, *unsub_db;

static void fake_sleep(void *data, double s)
{
	const char *who;

	(void)data;
	pthread_mutex_lock(&fake_lock);
	if (nsleeps < (int)ARRAY_SIZE(sleeps))
		sleeps[nsleeps] = s;
	nsleeps++;
	fake_now += s;
	who = unsub_on_sleep;
	unsub_on_sleep = NULL;
	pthread_mutex_unlock(&fake_lock);
	if (who) {
		/* As `subscribers remove` or serve's unsubscribe would, while the message waits. */
		struct store *st = store_open(unsub_db);

		if (st)
			store_unsubscribe(st, who, "members", "web");
		store_close(st);
	}
}

/*
 * A transport whose relay is unavailable for the first mock_down sends
 * (mock_down < 0: always), then takes every message.
 */
static int mock_down, mock_sends;
#define RELAY_WAIT_CAP 300.0

static void mock_send(struct transport *t, const char *from, const char *rcpt,
		      const char *msg, size_t len, struct transport_status *st)
{
	(void)t, (void)from, (void)rcpt, (void)msg, (void)len;
	if (mock_down < 0 || mock_sends++ < mock_down) {
		st->result = TRANSPORT_UNAVAILABLE;
		st->code = 421;
		transport_set_reply(st, "421 4.3.2 relay busy (after connect)");
		return;
	}
	st->result = TRANSPORT_SENT;
	st->code = 250;
	transport_set_reply(st, "250 2.0.0 queued");
}

static void mock_close(struct transport *t)
{
	free(t);
}

static const struct transport_ops mock_ops = { mock_send, mock_close, 0 };

static struct transport *mock_open(const struct config *cfg)
{
	struct transport *t = xcalloc(1, sizeof(*t));

	(void)cfg;
	t->ops = &mock_ops;
	snprintf(t->describe, sizeof(t->describe), "mock relay");
	return t;
}

/*
 * A scripted relay: send number n (from 0, over every connection) to
 * rcpt gets script(n, rcpt)'s reply: "250 ..." sent, "4xx ..." retry,
 * "5xx ..." refused.
 */
static atomic_int script_sends;
static const char *(*script)(int n, const char *rcpt);

static void script_send(struct transport *t, const char *from, const char *rcpt,
			const char *msg, size_t len, struct transport_status *st)
{
	const char *reply = script(atomic_fetch_add(&script_sends, 1), rcpt);

	(void)t, (void)from, (void)msg, (void)len;
	st->code = atoi(reply);
	st->result = st->code < 300 ? TRANSPORT_SENT : st->code < 500 ? TRANSPORT_TEMPFAIL
				   : TRANSPORT_PERMFAIL;
	st->slow_down = st->code == 421 || st->code == 451;
	transport_set_reply(st, "%s", reply);
}

static const struct transport_ops script_ops = { script_send, mock_close, 0 };

static struct transport *script_open(const struct config *cfg)
{
	struct transport *t = xcalloc(1, sizeof(*t));

	(void)cfg;
	t->ops = &script_ops;
	snprintf(t->describe, sizeof(t->describe), "scripted relay");
	return t;
}

static const char *user_unknown(int n, const char *rcpt)
{
	(void)n, (void)rcpt;
	return "550 5.1.1 user unknown (after RCPT TO)";
}

static const char *relay_denied(int n, const char *rcpt)
{
	(void)n, (void)rcpt;
	return "554 5.7.1 relay access denied (after RCPT TO)";
}

static const char *too_big(int n, const char *rcpt)
{
	(void)n, (void)rcpt;
	return "552 5.3.4 message too big (after final dot)";
}

/* Four refused by a policy of their own, the rest taken. */
static const char *four_denied(int n, const char *rcpt)
{
	(void)n;
	return atoi(rcpt + 4) < 4 ? "554 5.7.1 recipient policy (after RCPT TO)" : "250 2.0.0 queued";
}

/* A relay in trouble for its first 12 recipients, then well. */
static const char *trouble_then_ok(int n, const char *rcpt)
{
	(void)rcpt;
	return n < 12 ? "451 4.3.0 local error (after RCPT TO)" : "250 2.0.0 queued";
}

static const char *always_451(int n, const char *rcpt)
{
	(void)n, (void)rcpt;
	return "451 4.3.0 local error (after RCPT TO)";
}

/*
 * A relay 10 ms a message away that takes at most limit_max connections
 * at once: a connection's first message beyond that is refused (the
 * relay's 421 "too many connections"); the connection counts until its
 * transport is closed.
 */
struct limited {
	struct transport base;
	int open;
};
static pthread_mutex_t limit_lock = PTHREAD_MUTEX_INITIALIZER;
static int limit_max, limit_now, limit_peak, limit_refused;

static void limited_send(struct transport *t, const char *from, const char *rcpt,
			 const char *msg, size_t len, struct transport_status *st)
{
	struct limited *l = (struct limited *)t;

	(void)from, (void)rcpt, (void)msg, (void)len;
	pthread_mutex_lock(&limit_lock);
	if (!l->open) {
		if (limit_now >= limit_max) {
			limit_refused++;
			pthread_mutex_unlock(&limit_lock);
			st->result = TRANSPORT_UNAVAILABLE;
			st->code = 421;
			transport_set_reply(st, "421 4.7.0 too many connections (after connect)");
			return;
		}
		l->open = 1;
		if (++limit_now > limit_peak)
			limit_peak = limit_now;
	}
	pthread_mutex_unlock(&limit_lock);
	usleep(10000);
	st->result = TRANSPORT_SENT;
	st->code = 250;
	st->rtt = 0.0025;
	transport_set_reply(st, "250 2.0.0 queued");
}

static void limited_close(struct transport *t)
{
	struct limited *l = (struct limited *)t;

	pthread_mutex_lock(&limit_lock);
	if (l->open)
		limit_now--;
	pthread_mutex_unlock(&limit_lock);
	free(l);
}

static const struct transport_ops limited_ops = { limited_send, limited_close, 0 };

static struct transport *limited_open(const struct config *cfg)
{
	struct limited *l = xcalloc(1, sizeof(*l));

	(void)cfg;
	l->base.ops = &limited_ops;
	snprintf(l->base.describe, sizeof(l->base.describe), "limited relay");
	return &l->base;
}

static struct transport *(*open_hook)(const struct config *cfg);

static int count_attempts(void *data, const struct journal_entry *e)
{
	*(int *)data += e->attempts;
	return 0;
}

static struct journal *fresh_journal(const char *name, int nrcpt)
{
	struct strbuf db = STRBUF_INIT, sb = STRBUF_INIT;
	struct journal *j;
	int i;

	strbuf_addf(&db, "%s/%s.db", dir, name);
	j = journal_open(db.buf);
	if (!j)
		return NULL;
	journal_snapshot_begin(j, 1, "members");
	for (i = 0; i < nrcpt; i++) {
		strbuf_reset(&sb);
		strbuf_addf(&sb, "user%d@example.%s", i, i % 2 ? "net" : "org");
		journal_snapshot_add(j, sb.buf, "Reader", "members", "");
	}
	journal_snapshot_commit(j);
	strbuf_release(&db);
	strbuf_release(&sb);
	return j;
}

static void run(struct config *cfg, struct journal *j, long limit,
		int check_subscribers, struct sender_result *res)
{
	struct sender_opts o;

	memset(&o, 0, sizeof(o));
	o.cfg = cfg;
	o.journal = j;
	o.issue = 1;
	o.envelope_from = "bounce@example.org";
	o.limit = limit;
	o.build = build;
	o.check_subscribers = check_subscribers;
	o.retry_wait = 5;
	o.clock = fake_clock;
	o.sleep = fake_sleep;
	o.open = open_hook;
	nsleeps = 0;
	fake_now = 1000;
	journal_recover(j, 1);
	if (sender_run(&o, res) < 0)
		memset(res, 0xff, sizeof(*res));
}

static int free_port(void)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(s, (struct sockaddr *)&a, sizeof(a));
	getsockname(s, (struct sockaddr *)&a, &l);
	port = ntohs(a.sin_port);
	close(s);
	return port;
}

static int port_open(int port)
{
	struct sockaddr_in a;
	int s = socket(AF_INET, SOCK_STREAM, 0), r;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	r = connect(s, (struct sockaddr *)&a, sizeof(a));
	close(s);
	return r == 0;
}

/* Start smtp-sink with one fault option (flag may be NULL); returns its pid. */
static pid_t start_sink(int port, const char *flag, const char *cmds)
{
	char addr[64];
	pid_t pid;
	int i;

	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	pid = fork();
	if (pid == 0) {
		const char *argv[12];
		int n = 0;

		argv[n++] = "smtp-sink";
		if (geteuid() == 0) {
			/* smtp-sink refuses to run as root without dropping privileges */
			argv[n++] = "-u";
			argv[n++] = "nobody";
		}
		argv[n++] = "-4";
		if (flag) {
			argv[n++] = flag;
			argv[n++] = cmds;
		}
		argv[n++] = addr;
		argv[n++] = "64";
		argv[n] = NULL;
		freopen("/dev/null", "w", stderr);
		execv("/usr/sbin/smtp-sink", (char *const *)argv);
		_exit(127);
	}
	for (i = 0; i < 100 && !port_open(port); i++)
		usleep(50000);
	/*
	 * Someone else may have taken the port since free_port() (another
	 * test run): then our sink died on bind and the port answers for
	 * another server.  The caller tries another port.
	 */
	usleep(50000);
	if (waitpid(pid, NULL, WNOHANG) == pid)
		return -1;
	return pid;
}

static void stop_sink(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

struct fault {
	const char *flag, *cmds;
	const char *what;
	long sent, failed, retry;
	int fatal;
	long ambiguous;		/* -1: don't check */
	int unreachable;	/* the run stopped waiting for the relay */
};

int main(void)
{
	struct config cfg;
	struct journal *j;
	struct sender_result res;
	long c[JOURNAL_NSTATES];
	struct strbuf sb = STRBUF_INIT;
	size_t fi;
	static const struct fault faults[] = {
		{ NULL, NULL, "no fault: all sent", 10, 0, 0, 0, 0, 0 },
		/*
		 * smtp-sink's 5xx is "500 5.3.0", a mail-system status that
		 * blames no address: refused for everyone, it stops the run
		 * with nobody failed.  Its 4xx (and 421) for every recipient
		 * is the relay's trouble: waited out like a relay that is
		 * down, nobody's attempt spent.  (Per-recipient refusals: the
		 * scripted relay above.)
		 */
		{ "-f", "RCPT", "5.3.0 to every RCPT: the run stops", 0, 0, 0, 1, 0, 0 },
		{ "-r", "RCPT", "450 to every RCPT: waited out as the relay's trouble", 0, 0, 0, 1, 0, 1 },
		{ "-f", "DATA", "5.3.0 to every DATA: the run stops", 0, 0, 0, 1, 0, 0 },
		{ "-r", "DATA", "450 to every DATA: waited out", 0, 0, 0, 1, 0, 1 },
		{ "-f", ".", "5.3.0 after every final dot: the run stops", 0, 0, 0, 1, 0, 0 },
		{ "-r", ".", "450 after every final dot: waited out", 0, 0, 0, 1, 0, 1 },
		{ "-Q", ".", "421 and close after every dot: waited out", 0, 0, 0, 1, 0, 1 },
		{ "-q", ".", "silent close after the dot: ambiguous, retried once", 0, 10, 0, 0, 20, 0 },
		{ "-f", "MAIL", "550 to MAIL FROM: the run stops", 0, 0, 0, 1, 0, 0 },
		{ "-f", "EHLO,HELO", "550 to EHLO and HELO: the run stops", 0, 0, 0, 1, 0, 0 },
		{ "-f", "CONNECT", "554 greeting: the run stops", 0, 0, 0, 1, 0, 0 },
		{ "-Q", "RCPT", "421 and close at every RCPT: waited out", 0, 0, 0, 1, 0, 1 },
		/* The relay down or busy before RCPT TO: waited out, nobody's attempt. */
		{ "-q", "MAIL", "silent close at MAIL: the run stops as unreachable", 0, 0, 0, 1, 0, 1 },
		{ "-r", "CONNECT", "4xx greeting: the run stops as unreachable", 0, 0, 0, 1, 0, 1 },
		{ "-Q", "CONNECT", "421 greeting: the run stops as unreachable", 0, 0, 0, 1, 0, 1 },
		{ "-r", "EHLO,HELO", "4xx to EHLO and HELO: the run stops as unreachable", 0, 0, 0, 1, 0, 1 },
		{ "-r", "MAIL", "4xx to MAIL FROM: the run stops as unreachable", 0, 0, 0, 1, 0, 1 },
	};

	if (!mkdtemp(dir) || chdir(dir) < 0)
		skip_all("no temporary directory");
	signal(SIGPIPE, SIG_IGN);
	if (config_load(&cfg, NULL) < 0)
		skip_all("config_load failed");

	/* Maildir: 50 recipients, 3 connections, --limit 20 then resume. */
	cfg.connections = 3;
	j = fresh_journal("maildir", 50);
	run(&cfg, j, 20, 0, &res);
	is_int(res.sent, 20, "--limit 20 sends 20");
	journal_counts(j, 1, c);
	is_int(c[JOURNAL_PENDING], 30, "30 left pending");
	is_int(c[JOURNAL_SENDING], 0, "no row left 'sending' after a limited run");
	run(&cfg, j, 0, 0, &res);
	is_int(res.sent, 30, "resume sends the other 30");
	journal_counts(j, 1, c);
	is_int(c[JOURNAL_SENT], 50, "50 sent in all");
	run(&cfg, j, 0, 0, &res);
	is_int(res.sent + res.failed + res.attempted, 0, "a third run sends nothing");
	journal_close(j);

	/*
	 * Subscriber checks: the 20 recipients are members in the store;
	 * after the snapshot the odd ones leave (unsubscribed, bounced or
	 * suppressed).  Most checks ride on the previous outcome's commit.
	 */
	j = fresh_journal("cancel", 20);
	{
		struct strbuf db = STRBUF_INIT, email = STRBUF_INIT;
		struct store *st;
		enum store_result sres;
		int i;

		strbuf_addf(&db, "%s/cancel.db", dir);
		st = store_open(db.buf);
		for (i = 0; st && i < 20; i++) {
			struct store_subscriber sub = { NULL, "Reader", 0, NULL, NULL };

			strbuf_reset(&email);
			strbuf_addf(&email, "user%d@example.org", i);
			sub.email = email.buf;
			store_subscribe(st, &sub, "members", 0, &sres, NULL);
			if (i % 6 == 1)
				store_unsubscribe(st, email.buf, "members", "web");
			else if (i % 6 == 3)
				store_set_status(st, email.buf, "members", STORE_BOUNCED, "550");
			else if (i % 6 == 5)
				store_suppress(st, email.buf, "complaint");
		}
		ok(st != NULL, "the store holds the 20 recipients");
		store_close(st);
		strbuf_release(&db);
		strbuf_release(&email);
	}
	run(&cfg, j, 0, 1, &res);
	is_int(res.cancelled, 10, "recipients gone from the list are cancelled");
	is_int(res.sent, 10, "the others are sent");
	journal_counts(j, 1, c);
	is_int(c[JOURNAL_CANCELLED], 10, "the journal agrees: 10 cancelled");
	{
		int odd_sent = 0;

		journal_each(j, 1, 1u << JOURNAL_SENT, count_odd_sent, &odd_sent);
		is_int(odd_sent, 0, "no odd-numbered recipient was sent to");
	}
	journal_close(j);
	/*
	 * Rate-limited (rate = 0.5: 2 s a message): user1 unsubscribes
	 * while its message waits for its slot, after the check before it
	 * was built.  It must be cancelled, not sent.
	 */
	j = fresh_journal("rate-cancel", 5);
	ok(subscribe_all("rate-cancel", 5), "the store holds the 5 recipients");
	cfg.connections = 1;
	cfg.rate = 0.5;
	strbuf_addf(&sb, "%s/rate-cancel.db", dir);
	unsub_db = sb.buf;
	unsub_on_sleep = "user1@example.net";
	run(&cfg, j, 0, 1, &res);
	unsub_on_sleep = NULL;
	ok(nsleeps >= 4 && sleeps[0] == 2, "  each message after the first waited 2 s (%d waits)", nsleeps);
	is_int(res.cancelled, 1, "an unsubscribe while the message waits for its slot cancels it");
	is_int(res.sent, 4, "  the other four are sent");
	{
		struct { const char *email; int state; } q = { "user1@example.net", -1 };

		journal_each(j, 1, ~0u, state_of, &q);
		is_int(q.state, JOURNAL_CANCELLED, "  the journal says cancelled for user1");
	}
	strbuf_reset(&sb);
	unsub_db = NULL;
	cfg.rate = 0;
	cfg.connections = 3;
	journal_close(j);

	/*
	 * A message that cannot be built stops the run: the config or the
	 * templates are at fault, not the recipient, so nobody is failed
	 * and the rows stay due for the run after the fix.
	 */
	j = fresh_journal("unbuildable", 10);
	build_fails_for = "user3@example.net";
	run(&cfg, j, 0, 0, &res);
	journal_counts(j, 1, c);
	ok(res.fatal && strstr(res.fatal_reply, "could not be built"),
	   "a build failure stops the run, saying why (%s)", res.fatal_reply);
	is_int(c[JOURNAL_FAILED], 0, "nobody marked failed for a message that cannot be built");
	is_int(c[JOURNAL_SENT] + c[JOURNAL_PENDING], 10, "every row is sent or still pending");
	ok(c[JOURNAL_PENDING] >= 1, "the unbuildable recipient stays due");
	build_fails_for = NULL;
	run(&cfg, j, 0, 0, &res);
	journal_counts(j, 1, c);
	is_int(c[JOURNAL_SENT], 10, "after the fix the next run sends the rest");
	journal_close(j);

	/*
	 * The relay is unavailable (4xx or no reply before RCPT TO): not
	 * the recipients' fault.  Down for four tries, then up: nobody's
	 * attempts are spent, the waits double.
	 */
	cfg.connections = 1;
	open_hook = mock_open;
	j = fresh_journal("relay-busy", 3);
	mock_down = 4;
	mock_sends = 0;
	run(&cfg, j, 0, 0, &res);
	journal_counts(j, 1, c);
	is_int(c[JOURNAL_SENT], 3, "relay busy four times, then up: all three sent");
	ok(!res.fatal && !res.unreachable_since, "  the run did not stop (%s)", res.fatal_reply);
	is_int(res.attempted, 3, "  the refused tries are not counted as messages sent");
	{
		int attempts = 0;

		journal_each(j, 1, ~0u, count_attempts, &attempts);
		is_int(attempts, 3, "  one attempt each: waiting for the relay spent none");
	}
	ok(nsleeps == 4 && sleeps[0] == 1 && sleeps[1] == 2 && sleeps[2] == 4 && sleeps[3] == 8,
	   "  waited 1, 2, 4, 8 s (%d waits: %g %g %g %g)", nsleeps, sleeps[0], sleeps[1],
	   sleeps[2], sleeps[3]);
	journal_close(j);

	/*
	 * Refusals in a row.  A 5xx about the address fails each one; one
	 * that blames the sending set-up or the message (relaying denied,
	 * too big), five times in a row, stops the run with nobody failed;
	 * four, then deliveries, are the four's own.
	 */
	cfg.connections = 2;
	open_hook = script_open;
	{
		static const struct {
			const char *(*fn)(int, const char *);
			const char *what;
			long sent, failed;
			int fatal;
		} cases[] = {
			{ user_unknown, "550 5.1.1 for everyone: each one failed", 0, 10, 0 },
			{ relay_denied, "554 5.7.1 relay access denied for everyone: the run stops", 0, 0, 1 },
			{ too_big, "552 5.3.4 message too big after every dot: the run stops", 0, 0, 1 },
			{ four_denied, "554 5.7.1 for four, then deliveries: the four failed", 6, 4, 0 },
		};
		size_t k;

		for (k = 0; k < ARRAY_SIZE(cases); k++) {
			int attempts = 0;

			strbuf_reset(&sb);
			strbuf_addf(&sb, "streak%zu", k);
			j = fresh_journal(sb.buf, 10);
			strbuf_reset(&sb);
			script = cases[k].fn;
			atomic_store(&script_sends, 0);
			run(&cfg, j, 0, 0, &res);
			journal_counts(j, 1, c);
			journal_each(j, 1, ~0u, count_attempts, &attempts);
			ok(c[JOURNAL_SENT] == cases[k].sent && c[JOURNAL_FAILED] == cases[k].failed &&
			   res.failed == cases[k].failed && res.fatal == cases[k].fatal,
			   "%s (%ld sent, %ld failed, fatal %d: %s)", cases[k].what, c[JOURNAL_SENT],
			   c[JOURNAL_FAILED], res.fatal, res.fatal_reply);
			if (cases[k].fatal) {
				ok(c[JOURNAL_PENDING] == 10 && attempts == 0,
				   "  all ten still due, no attempt spent (%ld pending, %d attempts)",
				   c[JOURNAL_PENDING], attempts);
				ok(strstr(res.fatal_reply, "in a row") &&
				   strstr(res.fatal_reply, cases[k].fn(0, "")) &&
				   strstr(res.fatal_reply, "nobody was marked failed"),
				   "  the reason names the reply and that nobody failed");
			}
			journal_close(j);
		}
	}
	/*
	 * 451 to every RCPT TO for a while: the relay's trouble, waited out
	 * like a relay that is down; nobody's attempts spent on it.
	 */
	j = fresh_journal("relay-trouble", 10);
	script = trouble_then_ok;
	atomic_store(&script_sends, 0);
	run(&cfg, j, 0, 0, &res);
	journal_counts(j, 1, c);
	{
		int attempts = 0;

		journal_each(j, 1, ~0u, count_attempts, &attempts);
		if (!ok(c[JOURNAL_SENT] == 10 && !res.fatal && attempts == 10,
			"451 to twelve recipients in a row, then well: all sent, one attempt each "
			"(%ld sent, %d attempts, fatal %d)", c[JOURNAL_SENT], attempts, res.fatal))
			journal_each(j, 1, ~0u, diag_row, NULL);
	}
	journal_close(j);
	j = fresh_journal("relay-trouble-for-good", 10);
	script = always_451;
	cfg.retry_for = 3600;
	run(&cfg, j, 0, 0, &res);
	journal_counts(j, 1, c);
	{
		int attempts = 0;

		journal_each(j, 1, ~0u, count_attempts, &attempts);
		ok(res.fatal && res.unreachable_since && c[JOURNAL_PENDING] + c[JOURNAL_RETRY] == 10 &&
		   c[JOURNAL_FAILED] == 0 && attempts == 0,
		   "451 to every RCPT TO: stops after retry_for, all ten due, no attempt spent "
		   "(%ld failed, %d attempts, %s)", c[JOURNAL_FAILED], attempts, res.fatal_reply);
	}
	journal_close(j);
	cfg.retry_for = 172800;
	cfg.connections = 1;
	open_hook = mock_open;

	/* --limit counts messages sent, not tries the relay refused. */
	j = fresh_journal("relay-busy-limit", 5);
	mock_down = 3;
	mock_sends = 0;
	run(&cfg, j, 2, 0, &res);
	journal_counts(j, 1, c);
	ok(c[JOURNAL_SENT] == 2 && c[JOURNAL_PENDING] == 3,
	   "--limit 2 with the relay busy three times: 2 sent, 3 pending (%ld sent)", c[JOURNAL_SENT]);
	journal_close(j);

	/* Down for good: the waits are capped at 5 minutes, the run stops after retry_for. */
	j = fresh_journal("relay-down", 3);
	mock_down = -1;
	cfg.retry_for = 3600;
	run(&cfg, j, 0, 0, &res);
	journal_counts(j, 1, c);
	ok(res.fatal && res.unreachable_since > 0,
	   "relay down for good: the run stops, saying it is unreachable (%s)", res.fatal_reply);
	is_int(c[JOURNAL_PENDING], 3, "  all three rows still pending");
	is_int(c[JOURNAL_FAILED] + c[JOURNAL_RETRY] + c[JOURNAL_SENT], 0, "  none failed, none to retry");
	{
		int attempts = 0, i, rising = 1, capped = 1;
		double total = 0;

		journal_each(j, 1, ~0u, count_attempts, &attempts);
		is_int(attempts, 0, "  no attempt spent");
		for (i = 0; i < nsleeps && i < (int)ARRAY_SIZE(sleeps); i++) {
			total += sleeps[i];
			if (sleeps[i] > RELAY_WAIT_CAP)
				capped = 0;
			if (i > 0 && i < nsleeps - 1 && sleeps[i] < sleeps[i - 1])
				rising = 0;
		}
		ok(rising && capped && nsleeps > 10 && sleeps[nsleeps - 2] == RELAY_WAIT_CAP,
		   "  the waits rise to 300 s and stay there (%d waits, the one before last %g s)",
		   nsleeps, nsleeps > 1 ? sleeps[nsleeps - 2] : 0.0);
		ok(total == 3600 && fake_now - 1000 == 3600,
		   "  and stop exactly at retry_for = 3600 s (waited %g s)", total);
	}
	journal_close(j);

	/* The next run after the relay is back sends each exactly once. */
	strbuf_addf(&sb, "%s/relay-down.db", dir);
	j = journal_open(sb.buf);
	strbuf_reset(&sb);
	mock_down = 0;
	run(&cfg, j, 0, 0, &res);
	journal_counts(j, 1, c);
	is_int(c[JOURNAL_SENT], 3, "after the outage the next run sends all three");
	is_int(res.sent, 3, "  each once");
	journal_close(j);

	/*
	 * connections = auto at a relay taking 6: it grows from 4, meets the
	 * refusal, keeps to 6; everyone is sent once, nobody's attempt is
	 * spent on the refusals.
	 */
	cfg.connections = CONFIG_CONNECTIONS_AUTO;
	cfg.max_connections = 16;
	open_hook = limited_open;
	limit_max = 6;
	j = fresh_journal("auto-limited", 1200);
	run(&cfg, j, 0, 0, &res);
	journal_counts(j, 1, c);
	is_int(c[JOURNAL_SENT], 1200, "auto at a relay taking 6: all 1200 sent");
	{
		int attempts = 0;

		journal_each(j, 1, ~0u, count_attempts, &attempts);
		is_int(attempts, 1200, "  one attempt each: the refusals spent none");
	}
	ok(limit_refused > 0, "  it grew past 6 and was refused (%d refusals)", limit_refused);
	ok(limit_peak <= 6 && res.connections >= 5 && res.connections <= 6,
	   "  and kept to what the relay takes (peak %d open, %d reported)", limit_peak,
	   res.connections);
	ok(res.rtt == 0.0025, "  the round trip reported is the one measured (%g s)", res.rtt);
	is_int(limit_now, 0, "  every connection closed at the end");
	journal_close(j);
	open_hook = NULL;
	cfg.connections = 3;
	cfg.retry_for = 172800;

	/* The same run without checks sends to everyone. */
	j = fresh_journal("nocheck", 20);
	run(&cfg, j, 0, 0, &res);
	is_int(res.sent, 20, "without subscriber checks all 20 are sent");
	journal_close(j);

	if (access("/usr/sbin/smtp-sink", X_OK) < 0) {
		skip("no /usr/sbin/smtp-sink (apt-get install postfix)");
		goto out;
	}
	cfg.connections = 2;
	cfg.max_attempts = 2;
	cfg.retry_backoff = 0;
	/* Generous: a timeout after the dot would count as ambiguous (ASan, a busy machine). */
	cfg.timeout = 30;
	/* A down relay is waited out on the fake clock: ten tries. */
	cfg.retry_for = 600;
	for (fi = 0; fi < ARRAY_SIZE(faults); fi++) {
		const struct fault *f = &faults[fi];
		int port, tries = 0;
		pid_t pid;

		do {
			port = free_port();
			pid = start_sink(port, f->flag, f->cmds);
		} while (pid < 0 && ++tries < 5);

		free(cfg.smtp_url);
		strbuf_reset(&sb);
		strbuf_addf(&sb, "smtp://127.0.0.1:%d", port);
		cfg.smtp_url = strbuf_detach(&sb, NULL);
		strbuf_addf(&sb, "fault%zu", fi);
		j = fresh_journal(sb.buf, 10);
		strbuf_reset(&sb);
		run(&cfg, j, 0, 0, &res);
		journal_counts(j, 1, c);
		if (!ok(res.sent == f->sent && (f->failed < 0 || c[JOURNAL_FAILED] == f->failed) &&
			(f->retry < 0 || c[JOURNAL_RETRY] == f->retry) && res.fatal == f->fatal &&
			(f->ambiguous < 0 || res.ambiguous == f->ambiguous) &&
			(res.unreachable_since != 0) == f->unreachable,
			"%s %s: %s", f->flag ? f->flag : "", f->cmds ? f->cmds : "", f->what))
		{
			diag("sent %ld failed %ld retry %ld pending %ld ambiguous %ld fatal %d (%s)",
			     res.sent, c[JOURNAL_FAILED], c[JOURNAL_RETRY], c[JOURNAL_PENDING],
			     res.ambiguous, res.fatal, res.fatal_reply);
			journal_each(j, 1, ~0u, diag_row, NULL);
		}
		if (f->fatal)
			ok(c[JOURNAL_SENT] + c[JOURNAL_FAILED] == 0 && res.fatal_reply[0],
			   "  nobody marked failed for a problem that is not theirs: %s", res.fatal_reply);
		if (f->unreachable) {
			int attempts = 0;

			journal_each(j, 1, ~0u, count_attempts, &attempts);
			ok(c[JOURNAL_PENDING] == 10 && attempts == 0,
			   "  all ten still pending, no attempt spent (%ld pending, %d attempts)",
			   c[JOURNAL_PENDING], attempts);
		}
		journal_close(j);
		stop_sink(pid);
	}
	/* Nothing listening. */
	free(cfg.smtp_url);
	strbuf_addf(&sb, "smtp://127.0.0.1:%d", free_port());
	cfg.smtp_url = strbuf_detach(&sb, NULL);
	j = fresh_journal("refused", 10);
	run(&cfg, j, 0, 0, &res);
	journal_counts(j, 1, c);
	ok(res.fatal && res.unreachable_since && res.sent == 0 && c[JOURNAL_FAILED] == 0 &&
	   c[JOURNAL_PENDING] == 10,
	   "connection refused: the run stops after retry_for, all still pending (%s)", res.fatal_reply);
	journal_close(j);
out:
	config_release(&cfg);
	strbuf_release(&sb);
	if (chdir("/") == 0)
		remove_tree(dir);
	return tap_done();
}
