/*
 * A consistent copy of the database while it is in use: SQLite's online
 * backup, into a temporary file beside the destination that is synced and
 * renamed over it only when the copy is complete (a crash or a full disk
 * leaves the old destination, never half a database).  The copy is 0600
 * like the database: it holds every subscriber's address.
 */
#include "base/common.h"
#include "base/fsutil.h"
#include "store/store.h"
#include "store/store_internal.h"

int store_backup(struct store *st, const char *dest)
{
	struct atomic_file f;
	sqlite3 *out = NULL;
	sqlite3_backup *b;
	int rc;

	if (atomic_file_open(&f, dest, 0600) < 0)
		return -1;
	rc = sqlite3_open_v2(f.tmp, &out, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		error("cannot write the backup '%s': %s", dest, out ? sqlite3_errmsg(out) : "out of memory");
		goto fail;
	}
	b = sqlite3_backup_init(out, "main", st->db, "main");
	if (!b) {
		error("cannot back up '%s' to '%s': %s", st->path, dest, sqlite3_errmsg(out));
		goto fail;
	}
	/*
	 * All pages in one step: a writer that commits meanwhile would make
	 * a step-by-step copy start over; the busy timeout covers a writer
	 * holding the lock.
	 */
	do {
		rc = sqlite3_backup_step(b, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(50);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		error("cannot back up '%s' to '%s': %s", st->path, dest, sqlite3_errstr(rc));
		goto fail;
	}
	/* A self-contained file: no -wal beside it to lose. */
	if (sqlite3_exec(out, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK) {
		error("cannot finish the backup '%s': %s", dest, sqlite3_errmsg(out));
		goto fail;
	}
	if (sqlite3_close(out) != SQLITE_OK) {
		out = NULL;
		error("cannot finish the backup '%s'", dest);
		goto fail_closed;
	}
	return atomic_file_commit(&f);
fail:
	sqlite3_close(out);
fail_closed:
	atomic_file_abort(&f);
	return -1;
}
