/*
 * The schema, as a list of forward migrations (see store_internal.h for
 * how to add one).  PRAGMA user_version holds the last version applied.
 * Times are ISO 8601 UTC text; statuses are text so the file reads well
 * in the sqlite3 shell.
 */
#include "common.h"
#include "store_internal.h"

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
	/* Append new migrations here; never edit the ones above. */
};

const size_t store_migrations_count = ARRAY_SIZE(store_migrations);
