#ifndef SENDER_H
#define SENDER_H
/*
 * The delivery engine: worker threads (one transport each) work through
 * the journal's due rows for one issue, under a global rate limit that
 * slows down when the relay says so (421/451/452/454), and record each
 * outcome in the journal right after the server's reply.  With
 * [smtp] connections = auto the main thread starts and retires workers
 * as deliver/concurrency.h decides.
 *
 * Outcomes (docs/delivery.md, "Outcomes and retries"):
 *   2xx                    → sent
 *   5xx                    → failed, with the server's reply
 *   4xx, timeout, refused,
 *   dropped before the dot → retry after retry_backoff·2^(attempts-1) s,
 *                            failed after max_attempts or retry_for seconds
 *   dropped after the dot  → ambiguous: retried once, then failed
 *   relay unavailable (refused, no reply, 4xx before RCPT TO)
 *                          → the row stays due, no attempt counted; the
 *                            connection waits 1 s, 2 s, 4 s … (at most 5
 *                            minutes) and tries again; once the relay has
 *                            answered nothing for retry_for seconds the
 *                            run stops
 *   five recipients in a row refused with a 5xx blaming the sending
 *   set-up or the message (journal_reply_blames_sender)
 *                          → the run stops; those rows are due again as
 *                            they were, nobody failed
 *   five recipients in a row with a 4xx at RCPT TO or later
 *                          → those rows are due again as they were, and
 *                            4xx replies are handled as the relay being
 *                            unavailable until a message is accepted
 *   fatal (auth, TLS, sender refused) → the run stops; the row stays due
 *   message cannot be built → the run stops; the row stays due
 */
#include <signal.h>
#include <stdint.h>

struct config;
struct journal;
struct journal_row;
struct strbuf;
struct transport;
struct progress;

struct sender_opts {
	const struct config *cfg;	/* connections, rate, timeouts, retry policy */
	struct journal *journal;
	int issue;
	const char *envelope_from;	/* validated address */
	long limit;			/* at most this many messages this run; 0 = no limit */
	/*
	 * Build row's message into eml (and its Message-ID into msgid).
	 * Called from worker threads at once: must be thread-safe.
	 * Returns 0, or -1 after error(): a fault of the run, not of the
	 * recipient (config, templates): the run stops, every row stays due.
	 */
	int (*build)(void *data, const struct journal_row *row, struct strbuf *eml,
		     struct strbuf *msgid);
	/*
	 * NULL: every message's envelope sender is envelope_from.  Else the
	 * row's own envelope sender (VERP) is appended to from, a validated
	 * address; called from worker threads, thread-safe.
	 */
	void (*envelope)(void *data, const struct journal_row *row, struct strbuf *from);
	/*
	 * 1: right before each message, ask the store whether the recipient
	 * is still an active member of the row's list and not suppressed
	 * (journal_deliverable): if not, the row becomes cancelled; if the
	 * store cannot answer, the row stays due and the run stops.  The
	 * question rides in the transaction that commits the worker's
	 * previous outcome when it can (journal_record_check).  0: always
	 * send.
	 */
	int check_subscribers;
	void *data;
	/*
	 * Set (e.g. by a SIGINT handler) to stop after the messages in
	 * flight.  Only the thread calling sender_run reads it.
	 */
	volatile sig_atomic_t *stop;
	struct progress *progress;	/* may be NULL */
	/*
	 * Wait in this run for retries due within this many seconds;
	 * later ones are left for the next `send`.
	 */
	int retry_wait;
	/*
	 * The clock (seconds) and the sleep of every wait of the run — for
	 * an unavailable relay, the rate limit and its slow-downs, the next
	 * retry — called from worker threads; NULL: the monotonic clock, the
	 * wall clock for the journal's retry times, and nanosleep (woken by a
	 * stop).  A given clock is also the retry schedule's wall clock (only
	 * differences and order matter there).  Tests pass their own so that
	 * waiting out an outage or a backoff takes no time.
	 */
	double (*clock)(void *hook_data);
	void (*sleep)(void *hook_data, double seconds);
	void *hook_data;
	/* Open a worker's transport; NULL: transport_open(cfg). */
	struct transport *(*open)(const struct config *cfg);
};

struct sender_result {
	long sent, failed, retry, cancelled;
	long ambiguous;			/* connections lost after the final dot */
	long attempted;			/* messages handed to a transport */
	int fatal;			/* the run stopped early on a fatal error */
	char fatal_reply[512];
	/*
	 * When the run stopped because the relay had been unavailable for
	 * retry_for seconds (fatal is set too): the wall-clock time of its
	 * first failure to answer; else 0.
	 */
	int64_t unreachable_since;
	int connections;		/* the most connections the relay answered at once */
	double rtt;			/* the smallest EHLO round trip measured, seconds; 0 none */
	double seconds;
};

/*
 * Run.  The caller holds the issue lock and has called journal_recover.
 * Returns 0 when the run finished (result says how), -1 after error()
 * (transport could not be opened, journal error).
 */
int sender_run(const struct sender_opts *o, struct sender_result *res);

/* Seconds to wait before retry number `attempts` (1-based): backoff·2^(attempts-1), capped at a day. */
int64_t sender_backoff(int backoff, int attempts);

#endif
