#ifndef ERROR_H
#define ERROR_H
/*
 * Three levels:
 *   error()   prints "newsbeat: error: ..." to stderr and returns -1, so a
 *             module can `return error("...")`;
 *   warning() prints "newsbeat: warning: ..." and returns nothing;
 *   BUG()     an invariant is broken: prints file:line and aborts.
 * Messages are lower case, without a full stop, and quote the subject:
 *   error("%s:%d: 'title' must be a string", path, line)
 */
#if defined(__GNUC__)
#define NB_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define NB_NORETURN __attribute__((noreturn))
#else
#define NB_PRINTF(a, b)
#define NB_NORETURN
#endif

int error(const char *fmt, ...) NB_PRINTF(1, 2);
void warning(const char *fmt, ...) NB_PRINTF(1, 2);
NB_NORETURN void bug_fl(const char *file, int line, const char *fmt, ...) NB_PRINTF(3, 4);
#define BUG(...) bug_fl(__FILE__, __LINE__, __VA_ARGS__)

/*
 * Tests and the web server redirect reports: the routine receives the level
 * ("error" or "warning") and the formatted message without a newline.
 * Pass NULL to restore printing to stderr.  Returns the routine it
 * replaces, so a caller can put it back.
 */
typedef void (*report_fn)(const char *level, const char *msg);
report_fn set_report_routine(report_fn fn);

#endif
