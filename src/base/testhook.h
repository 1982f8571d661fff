#ifndef TESTHOOK_H
#define TESTHOOK_H
/*
 * Every environment variable that exists only so tests can reach a state
 * the real world gives rarely or never.  Each is read through testhook()
 * at the one place that honours it, so grepping for the name finds both
 * the test and the code.  None of them weakens a guarantee when unset.
 *
 *   NEWSBEAT_NOW               fixed "now" (base/clock.c): dates in messages,
 *                              timestamps in the database, the archive build
 *   NEWSBEAT_BOUNDARY          a fixed MIME boundary (core/compose.c), for
 *                              golden files
 *   NEWSBEAT_TEST_FAIL_RENAME  archive swap: the Nth rename fails (archive)
 *   NEWSBEAT_TEST_KILL_RENAME  archive swap: SIGKILL before the Nth rename
 *
 * NEWSBEAT_NO_PROGRESS (no progress line even on a terminal) and the
 * secret/password variables are user-facing and documented in the README.
 */

/* The hook's value, or NULL when unset or empty. */
const char *testhook(const char *name);

#endif
