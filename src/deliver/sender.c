/*
 * Worker threads over the journal.  See sender.h for the outcome rules.
 *
 * Threads, not libcurl's multi interface: 7.88.1 blocks in the multi
 * interface while waiting for the reply to the final dot (curl #8555,
 * #4015).  Each worker owns one transport (one SMTP connection) and its
 * own buffers, so memory stays flat however long the list.  The shared
 * state — the dispenser of claimed rows, the rate limiter, counters — is
 * behind one mutex and touched once per message.
 */
#include "base/common.h"
#include "base/hash.h"
#include "base/strbuf.h"
#include "base/config.h"
#include "store/journal.h"
#include "deliver/transport.h"
#include "deliver/concurrency.h"
#include "base/progress.h"
#include "base/clock.h"
#include "deliver/sender.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#define CLAIM_BATCH 32
#define MAX_CONNECT_FAILURES 5	/* consecutive failures with no reply: stop */
#define RELAY_DELAY_MAX 300.0	/* seconds: the longest wait between tries of a relay that is down */
/*
 * Consecutive recipients (across connections) refused the same way for a
 * reason that is not theirs before the refusals are taken for what they
 * are: a 5xx blaming the sending set-up or the message stops the run, a
 * 4xx after MAIL FROM is the relay's trouble.  One or two may be the
 * recipients' own (a domain's policy, a full mailbox); five in a row is
 * every recipient meeting the same wall, provided they are not all at one
 * domain: five colleagues at a hospital whose filter refuses the issue are
 * that domain's refusals, each theirs, and stopping for them would stop
 * every send of it at the same five rows.
 */
#define STREAK_LIMIT 5
/*
 * connections = auto: the shortest throughput sample.  Every second spent
 * at a count that is too low is lost at the start of the run; under half
 * a second, the replies in flight make the sample noisier than the 50 %
 * gain a doubling must show.
 */
#define SAMPLE_SECONDS 0.5

enum streak {
	STREAK_NONE,		/* sent, or an outcome about the recipient */
	STREAK_BLAME,		/* 5xx that blames the sending set-up or the message */
	STREAK_RELAY,		/* 4xx (421 included) at RCPT TO, DATA or the final dot */
};

struct run {
	const struct sender_opts *o;
	pthread_mutex_t lock;
	/* the dispenser */
	struct journal_row batch[CLAIM_BATCH];
	int nbatch, next;
	int64_t cursor;
	long handed;		/* rows handed out (for --limit) */
	int inflight;		/* rows handed out whose outcome is not recorded yet */
	int done;
	int running;		/* workers not yet finished */
	pthread_cond_t finished;	/* signalled when running drops to 0 */
	/* rate limiting */
	atomic_int limited;	/* 0: no limit and no slow-down yet: skip the lock */
	double rate;		/* current limit, messages/s; 0 = unlimited */
	double next_slot;	/* monotonic time of the next allowed send */
	double paused_until;
	long ok_since_slowdown;
	/* results */
	atomic_long sent, failed, retry, cancelled, ambiguous, attempted;
	/*
	 * Why workers stop early.  Both are read without the lock on every
	 * message; fatal is set only by stop_fatal (fatal_reply written
	 * first, under the lock), stopped only by the main thread, which
	 * copies the caller's *o->stop: a flag a signal handler sets is
	 * not meant to be read from other threads.
	 */
	atomic_int fatal, stopped;
	char fatal_reply[512];
	int64_t unreachable_since;	/* set with fatal when the relay was down too long */
	/*
	 * The relay's availability.  down is set at a connection's first
	 * TRANSPORT_UNAVAILABLE and cleared by any reply to a recipient's
	 * transaction; down_since (o->clock) and down_since_wall (time())
	 * are written under the lock.  waiting: workers sleeping on it.
	 */
	atomic_int down, waiting;
	double down_since;
	int64_t down_since_wall;
	/*
	 * The connections, under the lock.  active: workers running and not
	 * retiring; answered: those whose relay has answered a recipient's
	 * transaction.  With connections = auto (autoconn) the main thread
	 * starts workers up to conc.target and workers beyond it retire.
	 */
	int autoconn;
	struct concurrency conc;
	int active, answered, peak_answered;
	double rtt;		/* the smallest EHLO round trip seen; 0 none */
	double start;
	/*
	 * The streak (under the lock): the last recipients' refusals, all
	 * of one kind (enum streak), with each row as it was before, so
	 * that their outcomes can be taken back (journal_restore_row).
	 * Tripped: blame_stopped (the run stops) or relay_trouble (4xx
	 * replies after MAIL FROM are waited out like a relay that is down,
	 * until another kind of outcome).
	 */
	enum streak streak_kind;
	int streak_n;
	struct streak_row {
		struct journal_row prior;	/* scalars only: id, attempts, ambiguous, first_attempt */
		int failed;			/* recorded failed (else retry) */
		uint64_t domain;		/* a hash of the address's domain */
	} streak_rows[STREAK_LIMIT];
	atomic_int blame_stopped, relay_trouble;
};


static void sleep_seconds(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int stopping(struct run *r)
{
	return atomic_load(&r->fatal) || atomic_load(&r->stopped);
}

static double run_clock(const struct run *r)
{
	return r->o->clock ? r->o->clock(r->o->hook_data) : clock_monotonic();
}

/* The wall clock of the retry schedule (the journal's times). */
static int64_t run_wall(const struct run *r)
{
	return r->o->clock ? (int64_t)r->o->clock(r->o->hook_data) : (int64_t)time(NULL);
}

/*
 * Sleep s seconds: while the relay is down, for the rate limit, for the
 * next retry (o->sleep when a test gives one).  A stop (SIGINT) wakes it;
 * with wake_on_done so does the end of the run: a connection the relay
 * refused while others delivered everything must not keep the run
 * waiting for minutes.  The rate limit's waits must not end with the run
 * (the end comes when the last row is handed out, and the messages still
 * waiting for their slot would all go at once).
 */
static void run_sleep(struct run *r, double s, int wake_on_done)
{
	double until;

	if (r->o->sleep) {
		r->o->sleep(r->o->hook_data, s);
		return;
	}
	until = clock_monotonic() + s;
	while (!stopping(r)) {
		double left = until - clock_monotonic();
		int over;

		pthread_mutex_lock(&r->lock);
		over = r->done && wake_on_done;
		pthread_mutex_unlock(&r->lock);
		if (left <= 0 || over)
			break;
		sleep_seconds(left < 0.2 ? left : 0.2);
	}
}

int64_t sender_backoff(int backoff, int attempts)
{
	int64_t d = backoff;
	int i;

	for (i = 1; i < attempts && d < 86400; i++)
		d *= 2;
	return d < 86400 ? d : 86400;
}

/* Stop the run for `reply` (the first reason is kept).  Called with r->lock held. */
static void stop_fatal_locked(struct run *r, const char *reply)
{
	if (!atomic_load(&r->fatal)) {
		snprintf(r->fatal_reply, sizeof(r->fatal_reply), "%.500s", reply);
		atomic_store(&r->fatal, 1);
	}
}

static void stop_fatal(struct run *r, const char *reply)
{
	pthread_mutex_lock(&r->lock);
	stop_fatal_locked(r, reply);
	pthread_mutex_unlock(&r->lock);
}

/*
 * The next row of the claimed batch into *row (moved out of it): 1; 0 if
 * the batch is used up, or the run is over (then r->done may be set).
 * Never touches the journal or waits.  Called with r->lock held.
 */
static int dispense_claimed(struct run *r, struct journal_row *row)
{
	const struct sender_opts *o = r->o;

	if (r->done || stopping(r))
		return 0;
	if (o->limit && r->handed >= o->limit) {
		r->done = 1;	/* the main thread waits for this */
		return 0;
	}
	if (r->next >= r->nbatch)
		return 0;
	*row = r->batch[r->next];
	memset(&r->batch[r->next], 0, sizeof(*row));
	r->next++;
	r->handed++;
	r->inflight++;
	return 1;
}

/*
 * Next row to send into *row (moved out of the batch), claiming more rows
 * or waiting for due retries as needed; 0 when the run is over.  Called
 * with r->lock held.
 */
static int dispense(struct run *r, struct journal_row *row)
{
	const struct sender_opts *o = r->o;
	int wrapped = 0;

	for (;;) {
		if (dispense_claimed(r, row))
			return 1;
		if (r->done || stopping(r))
			return 0;
		r->nbatch = r->next = 0;
		{
			int n = CLAIM_BATCH;

			if (o->limit && o->limit - r->handed < n)
				n = (int)(o->limit - r->handed);
			n = journal_claim(o->journal, o->issue, run_wall(r), r->batch, n, &r->cursor);
			if (n < 0) {
				stop_fatal_locked(r, "journal error (see the error above)");
				return 0;
			}
			r->nbatch = n;
		}
		if (r->nbatch)
			continue;
		/* End of a pass: start again from the top for retries now due. */
		if (!wrapped && r->cursor) {
			r->cursor = 0;
			wrapped = 1;
			continue;
		}
		{
			int64_t when, now = run_wall(r);

			if (journal_next_retry(o->journal, o->issue, &when) < 0) {
				r->done = 1;
				return 0;
			}
			if (!when || when - now > o->retry_wait || atomic_load(&r->attempted) == 0) {
				if (r->inflight > 0 && atomic_load(&r->attempted) > 0) {
					/*
					 * Messages still on the wire may yet become
					 * retries due within retry_wait (an ambiguous
					 * drop is retried at once): ending the run now
					 * would leave them for the next `send`.
					 */
					pthread_mutex_unlock(&r->lock);
					sleep_seconds(0.02);
					pthread_mutex_lock(&r->lock);
					r->cursor = 0;
					wrapped = 1;
					continue;
				}
				r->done = 1;
				return 0;
			}
			/* Wait (without the lock) for the next retry, then a new pass. */
			pthread_mutex_unlock(&r->lock);
			while (!stopping(r) && run_wall(r) < when)
				run_sleep(r, (double)(when - run_wall(r)), 0);
			pthread_mutex_lock(&r->lock);
			r->cursor = 0;
			wrapped = 1;
		}
	}
}

/*
 * Wait for this message's slot under the rate limit (and a slow-down's
 * pause).  1 if it slept: the world may have changed meanwhile (an
 * unsubscribe while the message waited), else 0.
 */
static int rate_wait(struct run *r)
{
	double t, slot;

	/* Unlimited (the default): no lock taken per message. */
	if (!atomic_load(&r->limited))
		return 0;
	pthread_mutex_lock(&r->lock);
	t = run_clock(r);
	slot = t;
	if (r->paused_until > slot)
		slot = r->paused_until;
	if (r->rate > 0) {
		if (r->next_slot > slot)
			slot = r->next_slot;
		r->next_slot = slot + 1.0 / r->rate;
	}
	pthread_mutex_unlock(&r->lock);
	if (slot <= t)
		return 0;
	run_sleep(r, slot - t, 0);
	return 1;
}

/* The relay said "slow down": halve the rate and pause everyone briefly. */
static void slow_down(struct run *r)
{
	double t = run_clock(r);

	pthread_mutex_lock(&r->lock);
	atomic_store(&r->limited, 1);
	if (t < r->paused_until) {
		/*
		 * Still in the pause of an earlier slow-down: the other
		 * connections' replies to messages sent before it are the same
		 * signal, not a new one (halving for each drove the rate to the
		 * floor in a second).
		 */
		pthread_mutex_unlock(&r->lock);
		return;
	}
	if (r->rate == 0) {
		double el = t - r->start;
		double seen = el > 0 ? (double)atomic_load(&r->attempted) / el : 10;

		r->rate = seen / 2;
	} else {
		r->rate /= 2;
	}
	if (r->rate < 0.5)
		r->rate = 0.5;
	if (r->paused_until < t + 1)
		r->paused_until = t + 1;
	r->ok_since_slowdown = 0;
	pthread_mutex_unlock(&r->lock);
}

/* Recover gradually after a slow-down, up to the configured limit. */
static void speed_up(struct run *r)
{
	double cap = r->o->cfg->rate;

	if (!atomic_load(&r->limited))
		return;		/* nothing to recover from */
	pthread_mutex_lock(&r->lock);
	if (r->rate > 0 && (cap == 0 || r->rate < cap) && ++r->ok_since_slowdown >= 100) {
		r->ok_since_slowdown = 0;
		r->rate *= 1.25;
		if (cap > 0 && r->rate > cap)
			r->rate = cap;
		else if (cap == 0 && r->rate > 100000)
			r->rate = 0;
	}
	pthread_mutex_unlock(&r->lock);
}

#define NOT_CHECKED (-2)

struct worker {
	struct run *run;
	struct transport *t;
	pthread_t tid;
	enum { SLOT_IDLE, SLOT_RUNNING, SLOT_EXITED } state;	/* under the lock */
	int answered;		/* the relay has answered this worker (counted in run.answered) */
	int retired;		/* left run.active: closing its connection */
	double relay_delay;	/* seconds this connection waited last for the relay; 0 while it answers */
	/*
	 * The row this worker sends next, taken from the claimed batch while
	 * recording the previous outcome, and its subscriber check, asked in
	 * that outcome's transaction (NOT_CHECKED: ask before sending).
	 */
	struct journal_row next;
	int have_next, next_ok;
};

/*
 * Record an outcome; when the journal cannot be written, stop the run:
 * every message sent from then on would be sent again by the next run.
 * With check_subscribers, the worker's next row is taken from the batch
 * now, if there is one at hand, and its subscriber check rides on this
 * commit: a read transaction (and four file locks) a message saved.
 */
static void record(struct worker *w, int64_t id, int64_t now, const struct journal_outcome *out)
{
	struct run *r = w->run;
	const char *email = NULL, *list = NULL;

	if (r->o->check_subscribers && !w->have_next) {
		pthread_mutex_lock(&r->lock);
		w->have_next = dispense_claimed(r, &w->next);
		pthread_mutex_unlock(&r->lock);
		if (w->have_next) {
			email = w->next.email;
			list = w->next.list;
		}
	}
	w->next_ok = NOT_CHECKED;
	if (journal_record_check(r->o->journal, id, now, out, email, list,
				 email ? &w->next_ok : NULL) < 0)
		stop_fatal(r, "cannot record deliveries in the journal (see the error above); "
			   "the last message may be sent again by the next run");
}

/*
 * The relay did not let this worker as far as a recipient (refused, no
 * reply, 4xx before RCPT TO).  Wait 1 s, 2 s, 4 s ... up to
 * RELAY_DELAY_MAX before this connection tries again; once the relay has
 * answered no connection for retry_for seconds, stop the run (the rows
 * stay due: the next `send` resumes).  Each connection backs off on its
 * own: while others are being answered the relay is up, and a relay that
 * takes fewer connections than we open costs only the extra ones.
 */
static void relay_unavailable(struct worker *w, const struct transport_status *st)
{
	struct run *r = w->run;
	double t = run_clock(r), window = r->o->cfg->retry_for, wait;

	pthread_mutex_lock(&r->lock);
	if (!atomic_load(&r->down)) {
		r->down_since = t;
		r->down_since_wall = (int64_t)time(NULL);
		atomic_store(&r->down, 1);
	}
	if (t - r->down_since >= window) {
		if (!atomic_load(&r->fatal))
			r->unreachable_since = r->down_since_wall;
		stop_fatal_locked(r, st->reply);
		pthread_mutex_unlock(&r->lock);
		return;
	}
	w->relay_delay = w->relay_delay > 0 ? w->relay_delay * 2 : 1;
	if (w->relay_delay > RELAY_DELAY_MAX)
		w->relay_delay = RELAY_DELAY_MAX;
	wait = w->relay_delay;
	/* The last try falls at the end of the window, not after it. */
	if (wait > r->down_since + window - t)
		wait = r->down_since + window - t;
	pthread_mutex_unlock(&r->lock);
	atomic_fetch_add(&r->waiting, 1);
	run_sleep(r, wait, 1);
	atomic_fetch_sub(&r->waiting, 1);
}

/* The relay answered a recipient's transaction: it is up. */
static void relay_answered(struct worker *w)
{
	struct run *r = w->run;

	w->relay_delay = 0;
	if (w->answered && !atomic_load(&r->down))
		return;
	pthread_mutex_lock(&r->lock);
	atomic_store(&r->down, 0);
	if (!w->answered) {
		w->answered = 1;
		if (++r->answered > r->peak_answered)
			r->peak_answered = r->answered;
	}
	pthread_mutex_unlock(&r->lock);
}

/*
 * With connections = auto: a connection the relay never answered was
 * refused (connection refused, 421/4xx "too many connections") while
 * others are being answered: the relay takes no more than the others.  The
 * controller stops growing and this worker retires: 1.  Else 0 (the
 * relay may be down: relay_unavailable waits).
 */
static int refused_extra(struct worker *w)
{
	struct run *r = w->run;
	int refused = 0;

	if (!r->autoconn || w->answered)
		return 0;
	pthread_mutex_lock(&r->lock);
	if (r->answered > 0 && !atomic_load(&r->down)) {
		/*
		 * The relay counts the connections open, answered or still
		 * in their first transaction: every other active one.
		 */
		w->retired = 1;
		r->active--;
		concurrency_refused(&r->conc, r->active);
		refused = 1;
	}
	pthread_mutex_unlock(&r->lock);
	return refused;
}

/* With connections = auto: 1 if this worker is one too many and now retires. */
static int retiring(struct worker *w)
{
	struct run *r = w->run;

	if (!r->autoconn)
		return 0;
	pthread_mutex_lock(&r->lock);
	if (!w->retired && r->active > r->conc.target) {
		w->retired = 1;
		r->active--;
	}
	pthread_mutex_unlock(&r->lock);
	return w->retired;
}

static void note_rtt(struct run *r, double rtt)
{
	pthread_mutex_lock(&r->lock);
	if (r->rtt == 0 || rtt < r->rtt)
		r->rtt = rtt;
	pthread_mutex_unlock(&r->lock);
}

/* May `row` be mailed?  1/0, -1 on error.  `checked`: the answer already asked, or NOT_CHECKED. */
static int still_wanted(struct run *r, const struct journal_row *row, int checked)
{
	if (!r->o->check_subscribers)
		return 1;
	if (checked != NOT_CHECKED)
		return checked;
	return journal_deliverable(r->o->journal, row->email, row->list);
}

/* A hash of the domain of email (lower-case already: address_validate). */
static uint64_t domain_hash(const char *email)
{
	const char *at = email ? strrchr(email, '@') : NULL;

	return fnv64_str(FNV64_INIT, at ? at + 1 : "");
}

/* Whether the n rows of a streak and one more at `domain` are all at one domain. */
static int one_domain(const struct streak_row *rows, int n, uint64_t domain)
{
	int i;

	for (i = 0; i < n; i++)
		if (rows[i].domain != domain)
			return 0;
	return 1;
}

/* The kind of streak a transport's outcome belongs to. */
static enum streak streak_of(const struct transport_status *st)
{
	if (st->result == TRANSPORT_PERMFAIL && journal_reply_blames_sender(st->code, st->reply))
		return STREAK_BLAME;
	if (st->result == TRANSPORT_TEMPFAIL && st->code >= 400 && st->code <= 499)
		return STREAK_RELAY;
	return STREAK_NONE;
}

/*
 * Add row's outcome (just recorded; *prior: the row as claimed) to the
 * streak.  Returns the number of outcomes taken back: 0 when the streak
 * goes on or is broken; else the streak tripped (now, or already) and
 * those rows are due again as they were, their counts undone.
 */
static int streak_note(struct worker *w, const struct journal_row *prior, int failed,
		       enum streak kind, const struct transport_status *st)
{
	struct run *r = w->run;
	struct streak_row back[STREAK_LIMIT];
	int n = 0, i;
	int64_t now = run_wall(r);

	pthread_mutex_lock(&r->lock);
	if (kind == STREAK_NONE || kind != r->streak_kind) {
		r->streak_kind = kind;
		r->streak_n = 0;
		if (kind != STREAK_RELAY)
			atomic_store(&r->relay_trouble, 0);
	}
	if (kind == STREAK_NONE) {
		pthread_mutex_unlock(&r->lock);
		return 0;
	}
	memset(&back[0], 0, sizeof(back[0]));
	back[0].prior.id = prior->id;
	back[0].prior.attempts = prior->attempts;
	back[0].prior.ambiguous = prior->ambiguous;
	back[0].prior.first_attempt = prior->first_attempt;
	back[0].failed = failed;
	back[0].domain = domain_hash(prior->email);
	n++;
	if ((kind == STREAK_BLAME && atomic_load(&r->blame_stopped)) ||
	    (kind == STREAK_RELAY && atomic_load(&r->relay_trouble))) {
		/* Tripped while this one was on the wire: the same verdict. */
	} else if (r->streak_n + 1 < STREAK_LIMIT) {
		r->streak_rows[r->streak_n++] = back[0];
		pthread_mutex_unlock(&r->lock);
		return 0;
	} else if (one_domain(r->streak_rows, r->streak_n, back[0].domain)) {
		/* The window moves on: the oldest keeps the outcome it got. */
		memmove(&r->streak_rows[0], &r->streak_rows[1],
			(size_t)(r->streak_n - 1) * sizeof(r->streak_rows[0]));
		r->streak_rows[r->streak_n - 1] = back[0];
		pthread_mutex_unlock(&r->lock);
		return 0;
	} else {
		for (i = 0; i < r->streak_n; i++)
			back[n++] = r->streak_rows[i];
		r->streak_n = 0;
		if (kind == STREAK_BLAME) {
			char why[600];

			snprintf(why, sizeof(why), "%d recipients in a row were refused with a reply that "
				 "blames the sending set-up or the message, not the addresses: %.200s; "
				 "nobody was marked failed for it: fix the cause (relay access, "
				 "authentication, the message's size or content) and run send again",
				 STREAK_LIMIT, st->reply);
			atomic_store(&r->blame_stopped, 1);
			stop_fatal_locked(r, why);
		} else {
			atomic_store(&r->relay_trouble, 1);
		}
	}
	/*
	 * Due again before the counts drop (see the TRANSPORT_UNAVAILABLE
	 * case in deliver()), and under the lock: no worker claims one of
	 * these rows before its outcome is taken back.
	 */
	for (i = 0; i < n; i++) {
		int put = journal_restore_row(r->o->journal, &back[i].prior, now, st->reply);

		if (put < 0)
			stop_fatal_locked(r, "cannot put refused rows back in the queue (see the error above)");
		if (put <= 0)
			continue;
		atomic_fetch_sub(back[i].failed ? &r->failed : &r->retry, 1);
		atomic_fetch_sub(&r->attempted, 1);
		r->handed--;	/* nor one of --limit's */
	}
	pthread_mutex_unlock(&r->lock);
	return n;
}

/* The row's recipient is no longer deliverable: cancelled, never sent. */
static void cancel(struct worker *w, const struct journal_row *row, int64_t now,
		   struct journal_outcome *out)
{
	out->state = JOURNAL_CANCELLED;
	out->reply = "unsubscribed or suppressed during the send";
	record(w, row->id, now, out);
	atomic_fetch_add(&w->run->cancelled, 1);
}

/*
 * Act on still_wanted()'s answer: 1 to go on; 0 when the row is done
 * with, released after a failed check (which stops the run) or, for
 * someone unsubscribed or suppressed after the snapshot, cancelled.
 */
static int still_allowed(struct worker *w, const struct journal_row *row, int allowed,
			 int64_t now, struct journal_outcome *out)
{
	if (allowed < 0) {
		journal_release_row(w->run->o->journal, row->id);
		stop_fatal(w->run, "cannot check the subscriber's status");
		return 0;
	}
	if (allowed == 0) {
		cancel(w, row, now, out);
		return 0;
	}
	return 1;
}

static void deliver(struct worker *w, struct journal_row *row, int checked,
		    struct strbuf *eml, struct strbuf *msgid, int *no_reply_streak)
{
	struct run *r = w->run;
	const struct sender_opts *o = r->o;
	const struct config *cfg = o->cfg;
	struct transport_status st;
	struct journal_outcome out;
	enum streak kind;
	int64_t now = run_wall(r);
	int allowed = still_wanted(r, row, checked);

	memset(&out, 0, sizeof(out));
	out.attempts = row->attempts;
	out.ambiguous = row->ambiguous;
	out.first_attempt = row->first_attempt;
	if (!still_allowed(w, row, allowed, now, &out))
		return;
	strbuf_reset(eml);
	strbuf_reset(msgid);
	if (o->build(o->data, row, eml, msgid) < 0) {
		/*
		 * A message that cannot be built is a fault of the config or
		 * the templates, not of the recipient, and the next one would
		 * meet it too: stop, leave every row due for after the fix.
		 */
		journal_release_row(o->journal, row->id);
		stop_fatal(r, "a message could not be built (see the error above); "
			   "nobody was marked failed: fix it and run send again");
		return;
	}
	if (rate_wait(r)) {
		/*
		 * The message waited for its slot (2 s at rate = 0.5, more
		 * after a slow-down): the check above is that old, and an
		 * unsubscribe meanwhile must still be honoured.  Asked again
		 * only after a wait, so an unlimited run pays nothing.
		 */
		if (!stopping(r) && !still_allowed(w, row, still_wanted(r, row, NOT_CHECKED), now, &out))
			return;
	}
	if (stopping(r)) {
		journal_release_row(o->journal, row->id);
		return;
	}
	if (!out.first_attempt)
		out.first_attempt = now;
	atomic_fetch_add(&r->attempted, 1);
	if (o->envelope) {
		struct strbuf from = STRBUF_INIT;

		o->envelope(o->data, row, &from);
		transport_send(w->t, from.buf, row->email, eml->buf, eml->len, &st);
		strbuf_release(&from);
	} else {
		transport_send(w->t, o->envelope_from, row->email, eml->buf, eml->len, &st);
	}
	now = run_wall(r);
	if (st.rtt > 0)
		note_rtt(r, st.rtt);
	kind = streak_of(&st);
	if ((kind == STREAK_RELAY && atomic_load(&r->relay_trouble)) ||
	    (kind == STREAK_BLAME && atomic_load(&r->blame_stopped))) {
		/*
		 * The streak has tripped: this refusal is the relay's or the
		 * set-up's like the ones before it, not this recipient's.
		 */
		if (st.slow_down)
			slow_down(r);
		journal_release_row(o->journal, row->id);
		atomic_fetch_sub(&r->attempted, 1);
		pthread_mutex_lock(&r->lock);
		r->handed--;
		pthread_mutex_unlock(&r->lock);
		if (kind == STREAK_RELAY)
			relay_unavailable(w, &st);
		return;
	}
	if (st.result == TRANSPORT_UNAVAILABLE) {
		/*
		 * Not this recipient's attempt: the row goes back as it was,
		 * before the count drops, so no worker sees no attempt and
		 * nothing to claim in between and ends the run.
		 */
		journal_release_row(o->journal, row->id);
		atomic_fetch_sub(&r->attempted, 1);
		pthread_mutex_lock(&r->lock);
		r->handed--;	/* nor one of --limit's */
		pthread_mutex_unlock(&r->lock);
		if (!refused_extra(w))
			relay_unavailable(w, &st);
		return;
	}
	relay_answered(w);
	out.code = st.code;
	out.reply = st.reply;
	if (st.slow_down)
		slow_down(r);

	switch (st.result) {
	case TRANSPORT_SENT:
		*no_reply_streak = 0;
		out.state = JOURNAL_SENT;
		out.attempts++;
		out.message_id = msgid->buf;
		/* Committed right after the 250: see docs/delivery.md. */
		record(w, row->id, now, &out);
		atomic_fetch_add(&r->sent, 1);
		streak_note(w, row, 0, STREAK_NONE, &st);
		speed_up(r);
		return;
	case TRANSPORT_PERMFAIL:
		*no_reply_streak = 0;
		out.state = JOURNAL_FAILED;
		out.attempts++;
		record(w, row->id, now, &out);
		atomic_fetch_add(&r->failed, 1);
		streak_note(w, row, 1, kind, &st);
		return;
	case TRANSPORT_FATAL:
		journal_release_row(o->journal, row->id);
		stop_fatal(r, st.reply);
		return;
	case TRANSPORT_AMBIGUOUS:
		/* The server may have queued it: count it and retry only once. */
		streak_note(w, row, 0, STREAK_NONE, &st);
		atomic_fetch_add(&r->ambiguous, 1);
		out.ambiguous++;
		out.attempts++;
		if (out.ambiguous > 1) {
			out.state = JOURNAL_FAILED;
			record(w, row->id, now, &out);
			atomic_fetch_add(&r->failed, 1);
		} else {
			out.state = JOURNAL_RETRY;
			out.next_attempt = now;
			record(w, row->id, now, &out);
			atomic_fetch_add(&r->retry, 1);
		}
		return;
	case TRANSPORT_TEMPFAIL:
	case TRANSPORT_UNAVAILABLE:	/* handled above */
		break;
	}
	out.attempts++;
	if (out.attempts >= cfg->max_attempts || now - out.first_attempt >= cfg->retry_for) {
		/* A permanent problem disguised as 4xx: give up, say so. */
		char why[600];

		snprintf(why, sizeof(why), "gave up after %d attempts: %s", out.attempts, st.reply);
		out.state = JOURNAL_FAILED;
		out.reply = why;
		record(w, row->id, now, &out);
		atomic_fetch_add(&r->failed, 1);
	} else {
		out.state = JOURNAL_RETRY;
		out.next_attempt = now + sender_backoff(cfg->retry_backoff, out.attempts);
		record(w, row->id, now, &out);
		atomic_fetch_add(&r->retry, 1);
	}
	if (streak_note(w, row, out.state == JOURNAL_FAILED, kind, &st) > 0) {
		/* The relay's trouble, not theirs: wait as for a relay that is down. */
		relay_unavailable(w, &st);
		return;
	}
	if (st.code == 0) {
		/* No reply at all (refused, timeout): don't hammer a dead relay. */
		if (++*no_reply_streak >= MAX_CONNECT_FAILURES) {
			char why[600];

			snprintf(why, sizeof(why), "the server is not answering: %s", st.reply);
			stop_fatal(r, why);
		} else {
			run_sleep(r, 0.1 * (1 << *no_reply_streak), 0);
		}
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;
	struct strbuf eml = STRBUF_INIT, msgid = STRBUF_INIT;
	struct journal_row row;
	int streak = 0;

	for (;;) {
		int have, checked = NOT_CHECKED;

		if (w->retired || retiring(w)) {
			if (w->have_next) {
				/* Taken while recording the last outcome: not sent. */
				journal_release_row(r->o->journal, w->next.id);
				journal_row_release(&w->next);
				w->have_next = 0;
				pthread_mutex_lock(&r->lock);
				r->inflight--;
				pthread_mutex_unlock(&r->lock);
			}
			break;
		}
		if (w->have_next) {
			row = w->next;
			checked = w->next_ok;
			memset(&w->next, 0, sizeof(w->next));
			w->have_next = 0;
			if (stopping(r)) {
				/* Taken while recording the last outcome: not sent. */
				journal_release_row(r->o->journal, row.id);
				have = 0;
			} else {
				have = 1;
			}
		} else {
			pthread_mutex_lock(&r->lock);
			have = dispense(r, &row);
			pthread_mutex_unlock(&r->lock);
			if (!have)
				break;
		}
		if (have)
			deliver(w, &row, checked, &eml, &msgid, &streak);
		journal_row_release(&row);
		pthread_mutex_lock(&r->lock);
		r->inflight--;
		pthread_mutex_unlock(&r->lock);
	}
	strbuf_release(&eml);
	strbuf_release(&msgid);
	transport_close(w->t);	/* QUIT, in parallel with the other workers' */
	w->t = NULL;
	pthread_mutex_lock(&r->lock);
	if (w->answered)
		r->answered--;
	if (!w->retired)
		r->active--;
	w->state = SLOT_EXITED;
	if (--r->running == 0)
		pthread_cond_signal(&r->finished);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/*
 * The progress line's note: waiting for the relay while every connection
 * does, else the connections answered and the round trip measured.
 */
static const char *progress_note(struct run *r, char *buf, size_t size)
{
	time_t since;
	int answered, active, waiting;
	double rtt;

	pthread_mutex_lock(&r->lock);
	since = (time_t)r->down_since_wall;
	answered = r->answered;
	active = r->active;
	rtt = r->rtt;
	pthread_mutex_unlock(&r->lock);
	/* Only when every connection waits: one refused while others deliver is no news. */
	waiting = atomic_load(&r->waiting);
	if (atomic_load(&r->down) && waiting > 0 && waiting >= active) {
		struct tm tm;
		char when[16];

		gmtime_r(&since, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		snprintf(buf, size, "waiting for the relay (not answering since %s UTC)", when);
	} else if (rtt > 0) {
		snprintf(buf, size, "%d connection%s, round trip %.0f ms", answered,
			 answered == 1 ? "" : "s", rtt * 1000);
	} else {
		return NULL;
	}
	return buf;
}

/* Start worker w (its transport opened here unless it already is): 0, or -1 after error(). */
static int start_worker(struct run *r, struct worker *w)
{
	const struct sender_opts *o = r->o;

	if (!w->t)
		w->t = o->open ? o->open(o->cfg) : transport_open(o->cfg);
	if (!w->t)
		return -1;
	w->run = r;
	w->answered = w->retired = 0;
	w->relay_delay = 0;
	pthread_mutex_lock(&r->lock);
	r->running++;
	r->active++;
	w->state = SLOT_RUNNING;
	pthread_mutex_unlock(&r->lock);
	if (pthread_create(&w->tid, NULL, worker_main, w) != 0) {
		pthread_mutex_lock(&r->lock);
		r->running--;
		r->active--;
		w->state = SLOT_IDLE;
		pthread_mutex_unlock(&r->lock);
		transport_close(w->t);
		w->t = NULL;
		return error("cannot start a sender thread");
	}
	return 0;
}

/* The controller's view of throughput: one window at a steady connection count. */
struct window {
	int open;
	double start;
	long done;
};

/* Messages with an outcome from the relay (sent, failed or to retry). */
static long relay_outcomes(struct run *r)
{
	return atomic_load(&r->sent) + atomic_load(&r->failed) + atomic_load(&r->retry);
}

/*
 * connections = auto, on the main thread's tick: join the workers that
 * left, feed the controller a sample once `target` connections have all
 * been answered for SAMPLE_SECONDS (and four messages each), and start workers
 * up to its target.  Workers beyond the target retire by themselves.
 */
static void adjust_connections(struct run *r, struct worker *w, int nslots, struct window *win)
{
	int i, target, active, answered, settled, need;
	double t = clock_monotonic();
	long done = relay_outcomes(r);

	for (i = 0; i < nslots; i++) {
		int exited;

		pthread_mutex_lock(&r->lock);
		exited = w[i].state == SLOT_EXITED;
		if (exited)
			w[i].state = SLOT_IDLE;
		pthread_mutex_unlock(&r->lock);
		if (exited)
			pthread_join(w[i].tid, NULL);
	}
	pthread_mutex_lock(&r->lock);
	target = r->conc.target;
	active = r->active;
	answered = r->answered;
	settled = r->conc.settled;
	pthread_mutex_unlock(&r->lock);
	if (settled || answered != target || active != target) {
		win->open = 0;
	} else if (!win->open) {
		win->open = 1;
		win->start = t;
		win->done = done;
	} else if (t - win->start >= SAMPLE_SECONDS && done - win->done >= 4L * target) {
		pthread_mutex_lock(&r->lock);
		concurrency_sample(&r->conc, target, (double)(done - win->done) / (t - win->start));
		pthread_mutex_unlock(&r->lock);
		win->open = 0;
	}
	pthread_mutex_lock(&r->lock);
	need = r->done || stopping(r) ? 0 : r->conc.target - r->active;
	pthread_mutex_unlock(&r->lock);
	for (i = 0; i < nslots && need > 0; i++) {
		int idle;

		pthread_mutex_lock(&r->lock);
		idle = w[i].state == SLOT_IDLE;
		pthread_mutex_unlock(&r->lock);
		if (!idle)
			continue;
		if (start_worker(r, &w[i]) < 0) {
			stop_fatal(r, "cannot open another connection (see the error above)");
			return;
		}
		need--;
	}
}

int sender_run(const struct sender_opts *o, struct sender_result *res)
{
	struct run r;
	struct worker *w;
	struct window win = { 0, 0, 0 };
	int n = o->cfg->connections, nslots, first, i, ret = 0;
	long c0[JOURNAL_NSTATES];
	long base_due;
	char note[96];

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	r.o = o;
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.finished, NULL);
	r.rate = o->cfg->rate;
	atomic_init(&r.limited, r.rate > 0);
	r.start = clock_monotonic();
	if (journal_counts(o->journal, o->issue, c0) < 0)
		return -1;
	base_due = c0[JOURNAL_PENDING] + c0[JOURNAL_RETRY];
	if (o->limit && o->limit < base_due)
		base_due = o->limit;
	r.autoconn = n == CONFIG_CONNECTIONS_AUTO;
	nslots = r.autoconn ? o->cfg->max_connections : n;
	if (nslots < 1)
		nslots = 1;
	if (nslots > base_due)
		nslots = base_due > 0 ? (int)base_due : 1;

	w = xcalloc((size_t)nslots, sizeof(*w));
	/* The first transport says whether there is a relay to measure at all. */
	w[0].t = o->open ? o->open(o->cfg) : transport_open(o->cfg);
	if (!w[0].t) {
		ret = -1;
		goto out;
	}
	if (r.autoconn && transport_is_local(w[0].t)) {
		/* A local outbox has no relay to find the limits of. */
		r.autoconn = 0;
		if (nslots > CONCURRENCY_INITIAL)
			nslots = CONCURRENCY_INITIAL;
	}
	concurrency_init(&r.conc, nslots);
	if (!r.autoconn)
		r.conc.target = nslots;
	/* Workers may lower the target as soon as they run: start from a copy. */
	first = r.conc.target;
	for (i = 0; i < first; i++) {
		if (start_worker(&r, &w[i]) < 0) {
			if (i == 0) {
				ret = -1;
				goto out;
			}
			stop_fatal(&r, "cannot start the connections (see the error above)");
			break;
		}
	}
	/* The main thread draws progress (and grows connections) while the workers run. */
	for (;;) {
		int busy;

		pthread_mutex_lock(&r.lock);
		/* Workers leave when nothing is left, on a fatal error or a stop. */
		busy = r.running > 0;
		pthread_mutex_unlock(&r.lock);
		if (o->stop && *o->stop)
			atomic_store(&r.stopped, 1);
		if (o->progress) {
			long s = atomic_load(&r.sent), f = atomic_load(&r.failed);
			long left = base_due - s - f - atomic_load(&r.cancelled);

			progress_set_note(o->progress, progress_note(&r, note, sizeof(note)));
			progress_update(o->progress, s, f, left < 0 ? 0 : left);
		}
		if (!busy)
			break;
		if (r.autoconn)
			adjust_connections(&r, w, nslots, &win);
		/* A tick for the progress line, or at once when the last worker is done. */
		{
			struct timespec until;

			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += 100000000;
			if (until.tv_nsec >= 1000000000) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000;
			}
			pthread_mutex_lock(&r.lock);
			if (r.running > 0)
				pthread_cond_timedwait(&r.finished, &r.lock, &until);
			pthread_mutex_unlock(&r.lock);
		}
	}
	for (i = 0; i < nslots; i++)
		if (w[i].state != SLOT_IDLE)
			pthread_join(w[i].tid, NULL);
	/* Rows claimed but not handed out (stop, fatal, limit) go back. */
	for (i = r.next; i < r.nbatch; i++) {
		journal_release_row(o->journal, r.batch[i].id);
		journal_row_release(&r.batch[i]);
	}
out:
	for (i = 0; i < nslots; i++)
		transport_close(w[i].t);
	free(w);
	res->sent = atomic_load(&r.sent);
	res->failed = atomic_load(&r.failed);
	res->retry = atomic_load(&r.retry);
	res->cancelled = atomic_load(&r.cancelled);
	res->ambiguous = atomic_load(&r.ambiguous);
	res->attempted = atomic_load(&r.attempted);
	res->fatal = atomic_load(&r.fatal);
	res->unreachable_since = r.unreachable_since;
	res->connections = r.peak_answered;
	res->rtt = r.rtt;
	memcpy(res->fatal_reply, r.fatal_reply, sizeof(res->fatal_reply));
	res->seconds = clock_monotonic() - r.start;
	pthread_mutex_destroy(&r.lock);
	pthread_cond_destroy(&r.finished);
	return ret;
}
