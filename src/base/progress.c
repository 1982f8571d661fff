/*
 * The progress line: only on a terminal, carriage-return redraws.
 */
#include "base/common.h"
#include "base/clock.h"
#include "base/progress.h"

#include <time.h>
#include <unistd.h>

struct progress {
	char *what;
	const char *done_label, *failed_label, *pending_label;
	long total;
	int shown;		/* stderr is a terminal */
	char note[128];
	double start, last;
};

struct progress *progress_start(const char *what, long total)
{
	struct progress *p = xcalloc(1, sizeof(*p));

	p->what = xstrdup(what);
	p->total = total;
	progress_set_labels(p, "sent", "failed", "pending");
	p->shown = isatty(STDERR_FILENO) && !getenv("NEWSBEAT_NO_PROGRESS");
	p->start = p->last = clock_monotonic();
	return p;
}

void progress_set_labels(struct progress *p, const char *done, const char *failed,
			 const char *pending)
{
	p->done_label = done;
	p->failed_label = failed;
	p->pending_label = pending;
}

void progress_set_note(struct progress *p, const char *note)
{
	if (p)
		snprintf(p->note, sizeof(p->note), "%s", note ? note : "");
}

static void draw(struct progress *p, double t, long sent, long failed, long pending)
{
	double el = t - p->start, rate = el > 0 ? (double)(sent + failed) / el : 0;
	char eta[32] = "--:--";

	if (rate > 0 && pending >= 0) {
		long s = (long)((double)pending / rate + 0.5);

		snprintf(eta, sizeof(eta), "%ld:%02ld", s / 60, s % 60);
	}
	fprintf(stderr, "\r%s: %s %ld, %s %ld, %s %ld, %.0f/s, ETA %s%s%s\033[K", p->what,
		p->done_label, sent, p->failed_label, failed, p->pending_label, pending, rate, eta,
		p->note[0] ? ", " : "", p->note);
	fflush(stderr);
}

void progress_update(struct progress *p, long sent, long failed, long pending)
{
	double t;

	if (!p || !p->shown)
		return;
	t = clock_monotonic();
	if (t - p->last < 0.2)
		return;
	p->last = t;
	draw(p, t, sent, failed, pending);
}

void progress_stop(struct progress *p, long sent, long failed, long pending)
{
	if (!p)
		return;
	if (p->shown) {
		draw(p, clock_monotonic(), sent, failed, pending);
		fputc('\n', stderr);
	}
	free(p->what);
	free(p);
}
