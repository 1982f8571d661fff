/*
 * The schema, as a list of forward migrations (see store_internal.h for
 * how to add one).  PRAGMA user_version holds the last version applied.
 * Times are ISO 8601 UTC text; statuses are text so the file reads well
 * in the sqlite3 shell.
 */
#include "base/common.h"
#include "store/store_internal.h"

const struct store_migration store_migrations[] = {
	{ 1, "subscribers, lists, memberships, suppressions",
	  "CREATE TABLE subscribers ("
	  "  id INTEGER PRIMARY KEY,"
	  "  email TEXT NOT NULL UNIQUE,"	/* normalized by address_validate() */
	  "  name TEXT NOT NULL DEFAULT '',"
	  "  created TEXT NOT NULL);"
	  "CREATE TABLE lists ("
	  "  id INTEGER PRIMARY KEY,"
	  "  name TEXT NOT NULL UNIQUE,"
	  "  created TEXT NOT NULL);"
	  "CREATE TABLE memberships ("
	  "  list_id INTEGER NOT NULL REFERENCES lists(id),"
	  "  subscriber_id INTEGER NOT NULL REFERENCES subscribers(id),"
	  "  status TEXT NOT NULL CHECK (status IN"
	  "    ('active', 'pending', 'unsubscribed', 'bounced', 'complained')),"
	  "  updated TEXT NOT NULL,"
	  "  reason TEXT NOT NULL DEFAULT '',"
	  "  PRIMARY KEY (list_id, subscriber_id)) WITHOUT ROWID;"
	  "CREATE TABLE suppressions ("
	  "  email TEXT PRIMARY KEY,"
	  "  reason TEXT NOT NULL DEFAULT '',"
	  "  created TEXT NOT NULL) WITHOUT ROWID;",
	  NULL },
	{ 2, "subscriber attributes and update times",
	  "ALTER TABLE subscribers ADD COLUMN updated TEXT NOT NULL DEFAULT '';"
	  "UPDATE subscribers SET updated = created;"
	  "CREATE TABLE attributes ("
	  "  subscriber_id INTEGER NOT NULL REFERENCES subscribers(id),"
	  "  key TEXT NOT NULL,"
	  "  value TEXT NOT NULL,"
	  "  PRIMARY KEY (subscriber_id, key)) WITHOUT ROWID;"
	  "CREATE INDEX memberships_by_subscriber ON memberships(subscriber_id);",
	  NULL },
	/*
	 * SQLite evaluates CHECK (status IN (...)) by building a temporary
	 * table of the five names on every INSERT or UPDATE: half of an
	 * import's time.  The same rule as comparisons costs nothing.  The
	 * table is rebuilt (SQLite cannot alter a CHECK); nothing references it.
	 */
	{ 3, "membership status check without a temporary table per row",
	  "CREATE TABLE memberships_v3 ("
	  "  list_id INTEGER NOT NULL REFERENCES lists(id),"
	  "  subscriber_id INTEGER NOT NULL REFERENCES subscribers(id),"
	  "  status TEXT NOT NULL CHECK (status = 'active' OR status = 'pending'"
	  "    OR status = 'unsubscribed' OR status = 'bounced' OR status = 'complained'),"
	  "  updated TEXT NOT NULL,"
	  "  reason TEXT NOT NULL DEFAULT '',"
	  "  PRIMARY KEY (list_id, subscriber_id)) WITHOUT ROWID;"
	  "INSERT INTO memberships_v3 (list_id, subscriber_id, status, updated, reason)"
	  "  SELECT list_id, subscriber_id, status, updated, reason FROM memberships;"
	  "DROP TABLE memberships;"
	  "ALTER TABLE memberships_v3 RENAME TO memberships;"
	  "CREATE INDEX memberships_by_subscriber ON memberships(subscriber_id);",
	  NULL },
	/*
	 * The delivery journal (journal.c keeps its queries; docs/delivery.md).
	 * IF NOT EXISTS: before this step journal.c created these tables
	 * itself, so an older database may already hold them, with rows.
	 */
	{ 4, "delivery journal",
	  "CREATE TABLE IF NOT EXISTS delivery_run ("
	  "  issue INTEGER PRIMARY KEY,"
	  "  list TEXT NOT NULL,"
	  "  recipients INTEGER NOT NULL,"
	  "  created INTEGER NOT NULL);"
	  "CREATE TABLE IF NOT EXISTS delivery ("
	  "  id INTEGER PRIMARY KEY,"
	  "  issue INTEGER NOT NULL,"
	  "  email TEXT NOT NULL,"
	  "  name TEXT NOT NULL DEFAULT '',"
	  "  list TEXT NOT NULL,"
	  "  attrs TEXT NOT NULL DEFAULT '',"
	  "  state INTEGER NOT NULL DEFAULT 0,"	/* enum journal_state */
	  "  attempts INTEGER NOT NULL DEFAULT 0,"
	  "  ambiguous INTEGER NOT NULL DEFAULT 0,"
	  "  last_code INTEGER NOT NULL DEFAULT 0,"
	  "  last_reply TEXT NOT NULL DEFAULT '',"
	  "  message_id TEXT NOT NULL DEFAULT '',"
	  "  first_attempt INTEGER NOT NULL DEFAULT 0,"	/* unix times */
	  "  next_attempt INTEGER NOT NULL DEFAULT 0,"
	  "  updated INTEGER NOT NULL DEFAULT 0,"
	  "  UNIQUE (issue, email));"
	  "CREATE INDEX IF NOT EXISTS delivery_issue_state ON delivery (issue, state, id);",
	  NULL },
	/*
	 * One index on (issue, state, id) put every outcome's state change in
	 * it twice (out of 'sending', into 'sent'): two more pages written to
	 * the WAL per message, two thirds of each commit.  Only the claim
	 * needs an index by state, for pending rows and due retries, each in
	 * a partial index; an outcome ('sending' to 'sent') then writes the
	 * row's page and nothing else.  Everything else (counts, listings,
	 * putting rows left 'sending' by a crash back) reads the rows
	 * through the UNIQUE (issue, email) index, once per run.
	 */
	{ 5, "delivery journal: partial indexes for the rows a send claims",
	  "DROP INDEX IF EXISTS delivery_issue_state;"
	  "CREATE INDEX delivery_pending ON delivery (issue, id) WHERE state = 0;"
	  "CREATE INDEX delivery_retry ON delivery (issue, id) WHERE state = 3;",
	  NULL },
	/*
	 * Subscription requests from the web form: when the last
	 * confirmation e-mail went out (so however many clients ask, an
	 * address gets at most one per [serve] confirm_interval, across
	 * restarts) and the name that request gave, held until the owner of
	 * the mailbox confirms: a stranger's text never reaches the mailbox
	 * or the subscriber row unconfirmed.
	 */
	{ 6, "confirmation requests",
	  "CREATE TABLE confirmations ("
	  "  list_id INTEGER NOT NULL REFERENCES lists(id),"
	  "  subscriber_id INTEGER NOT NULL REFERENCES subscribers(id),"
	  "  name TEXT NOT NULL DEFAULT '',"
	  "  sent INTEGER NOT NULL,"	/* unix time */
	  "  PRIMARY KEY (list_id, subscriber_id)) WITHOUT ROWID;",
	  NULL },
	/*
	 * What came back after a send (store_bounce.c): the strongest event
	 * about each delivery, on its row; the raw messages already handled,
	 * by SHA-256, so a rerun over the same mailbox changes nothing.  The
	 * index by address serves the attribution of a report to the latest
	 * delivery and the soft count; it is written once per row, at the
	 * snapshot, never by an outcome.
	 */
	{ 7, "bounces: events on deliveries, handled messages",
	  "ALTER TABLE delivery ADD COLUMN bounce TEXT NOT NULL DEFAULT '';"
	  "ALTER TABLE delivery ADD COLUMN bounce_status TEXT NOT NULL DEFAULT '';"
	  "ALTER TABLE delivery ADD COLUMN bounce_diagnostic TEXT NOT NULL DEFAULT '';"
	  "ALTER TABLE delivery ADD COLUMN bounced_at TEXT NOT NULL DEFAULT '';"
	  "CREATE INDEX delivery_by_email ON delivery (email, issue);"
	  "CREATE TABLE bounce_seen ("
	  "  digest TEXT PRIMARY KEY,"
	  "  kind TEXT NOT NULL,"
	  "  summary TEXT NOT NULL DEFAULT '',"
	  "  created TEXT NOT NULL) WITHOUT ROWID;",
	  NULL },
	/*
	 * The segment a send's recipients were chosen by (store_filter.h's
	 * canonical text, '' for the whole list), so a resume goes on with
	 * the same people and status can say who they are.
	 */
	{ 8, "delivery runs: the segment",
	  "ALTER TABLE delivery_run ADD COLUMN segment TEXT NOT NULL DEFAULT '';",
	  NULL },
	/*
	 * One subscriber and one suppression per mailbox: the address is
	 * compared without regard to ASCII case (kept as first written, for
	 * sending).  store_fold.c merges the case variants a database
	 * already holds, then rebuilds both tables with COLLATE NOCASE.
	 */
	{ 9, "addresses compared without regard to case",
	  NULL, store_fold_case },
	/* Append new migrations here; never edit the ones above. */
};

const size_t store_migrations_count = ARRAY_SIZE(store_migrations);
