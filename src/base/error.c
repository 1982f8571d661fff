#include "base/common.h"
#include "base/strbuf.h"

static report_fn report_routine;

report_fn set_report_routine(report_fn fn)
{
	report_fn old = report_routine;

	report_routine = fn;
	return old;
}

NB_PRINTF(2, 0) static void vreport(const char *level, const char *fmt, va_list ap)
{
	char msg[4096];
	struct strbuf shown = STRBUF_INIT;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/*
	 * Messages quote what came from outside (a CSV cell, a list name, a
	 * server's reply): escaped, it cannot drive the terminal or forge a
	 * second line of output.
	 */
	strbuf_add_shown(&shown, msg, strlen(msg), NULL);
	if (report_routine) {
		report_routine(level, shown.buf);
	} else {
		fflush(stdout);
		fprintf(stderr, "newsbeat: %s: %s\n", level, shown.buf);
	}
	strbuf_release(&shown);
}

int error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("error", fmt, ap);
	va_end(ap);
	return -1;
}

void warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning", fmt, ap);
	va_end(ap);
}

void bug_fl(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "newsbeat: BUG: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
