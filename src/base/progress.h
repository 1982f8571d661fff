#ifndef PROGRESS_H
#define PROGRESS_H
/*
 * A progress line on stderr ("sent 1200 · failed 3 · pending 800 ·
 * 2950/s · ETA 0:01"), redrawn in place at most a few times a second, only
 * when stderr is a terminal (quiet when piped: a log or a cron mail gets
 * the summary, not hundreds of redraws).
 */
struct progress;

/* total: messages expected this run.  Returns a handle even when quiet. */
struct progress *progress_start(const char *what, long total);
/*
 * Name the three counts for work that is not sending (the defaults are
 * "sent", "failed", "pending").  Static strings.
 */
void progress_set_labels(struct progress *p, const char *done, const char *failed,
			 const char *pending);
/*
 * A note drawn after the counts ("waiting for the relay ..."), copied;
 * NULL or "" removes it.
 */
void progress_set_note(struct progress *p, const char *note);
/* Redraw if due (rate-limited; cheap to call often). */
void progress_update(struct progress *p, long sent, long failed, long pending);
/* Final redraw and newline (when shown), then free.  NULL is fine. */
void progress_stop(struct progress *p, long sent, long failed, long pending);

#endif
