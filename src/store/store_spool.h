#ifndef STORE_SPOOL_H
#define STORE_SPOOL_H
/*
 * Unsubscribes that could not wait for the database.  A one-click
 * unsubscribe (RFC 8058) is a POST from the mail provider, which does not
 * retry: if the database stays locked past the busy timeout (a large
 * import is one transaction, a send's snapshot holds the write lock while
 * it copies the list), the request must still not be lost.  It is
 * appended to the spool "<database>-unsubscribes" (mode 0600, fsync()ed
 * before the answer), and applied as soon as the database is free: by
 * serve, which retries, and by send before it takes a snapshot or resumes.
 *
 * One line per request: "email TAB list TAB reason TAB unix-time".
 * Applying renames the spool aside ("...-unsubscribes.applying") so that
 * new requests go to a fresh one, applies every line (store_unsubscribe:
 * applying one twice changes nothing), then removes it; an apply that
 * fails leaves the file to be applied again.
 */
#include <stdint.h>

struct store;
struct strbuf;

/* The spool of the database at `database`, appended to out. */
void store_spool_path(struct strbuf *out, const char *database);

/*
 * Append one unsubscribe of email from list (already verified by the
 * caller) to the spool of `database`, durably.  0, or -1 after error().
 */
int store_spool_unsubscribe(const char *database, const char *email, const char *list,
			    const char *reason, int64_t now);

/*
 * Apply the spooled unsubscribes to st's database.  Returns how many were
 * applied (0 when there is no spool), or -1 after error(): the rest stay
 * spooled.
 */
int store_spool_apply(struct store *st);

/* Whether the database at `database` has unsubscribes waiting (a stat()). */
int store_spool_pending(const char *database);

#endif
