/*
 * bench/render: personalize and MIME-encode one sample issue for N synthetic
 * recipients (no sending).  Prints messages/s and peak RSS after 10% of N and
 * after N, to show memory stays flat as N grows.
 *
 *   build/bench/render [ISSUE.md] [N]      (defaults: issues/issue-42.md, 100000)
 * Run from a newsletter directory (templates/ beside it); `make bench` builds it.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/config.h"
#include "core/issue.h"
#include "core/compose.h"

#include <time.h>
#include <sys/resource.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "issues/issue-42.md";
	long n = argc > 2 ? atol(argv[2]) : 100000, i;
	struct config cfg;
	struct issue is;
	struct compose *c;
	struct strbuf eml = STRBUF_INIT, email = STRBUF_INIT, name = STRBUF_INIT;
	struct strbuf boundary = STRBUF_INIT;
	struct compose_output out = { &eml, NULL, NULL, NULL };
	static const char *const keys[] = { "country", "member_type" };
	static const char *const values[] = { "Portugal", "full" };
	size_t bytes = 0;
	double t0, t1;
	long rss_10 = 0;

	if (n < 10 || config_load(&cfg, NULL) < 0 || issue_load(&is, path) < 0)
		return 2;
	c = compose_prepare(&cfg, &is, "bench-secret-0123456789abcdef0123456789");
	if (!c)
		return 2;
	t0 = now_s();
	for (i = 0; i < n; i++) {
		struct compose_recipient r = { NULL, NULL, "members", 2, keys, values, NULL };

		strbuf_reset(&email);
		strbuf_reset(&name);
		strbuf_addf(&email, "member%ld@example.org", i);
		strbuf_addf(&name, "Dr. Zoë Member %ld", i);
		r.email = email.buf;
		r.name = name.buf;
		strbuf_reset(&boundary);
		strbuf_reset(&eml);
		if (compose_boundary(&boundary) < 0 ||
		    compose_message(c, &r, (time_t)1795770000, boundary.buf, NULL, &out) < 0)
			return 2;
		bytes += eml.len;
		if (i == n / 10)
			rss_10 = peak_rss_kb();
	}
	t1 = now_s();
	printf("bench/render: %ld messages, %.1f KB each on average, in %.2f s: %.0f messages/s on one core\n",
	       n, (double)bytes / (double)n / 1024.0, t1 - t0, (double)n / (t1 - t0));
	printf("bench/render: peak RSS %.1f MB after %ld messages, %.1f MB after %ld\n",
	       (double)rss_10 / 1024.0, n / 10, (double)peak_rss_kb() / 1024.0, n);
	compose_free(c);
	issue_release(&is);
	config_release(&cfg);
	strbuf_release(&eml);
	strbuf_release(&email);
	strbuf_release(&name);
	strbuf_release(&boundary);
	return 0;
}
