#ifndef SEND_SOURCE_H
#define SEND_SOURCE_H
/*
 * What `send` needs from the subscriber store, in one place: the
 * recipients of a list (active members, not suppressed), streamed.  (The
 * per-message check that a recipient is still wanted runs on the
 * journal's connection: journal_deliverable().)
 */
struct config;
struct compose_recipient;
struct send_source;

/* Open the store for the sender.  NULL after error(). */
struct send_source *send_source_open(const struct config *cfg);
void send_source_close(struct send_source *s);

/*
 * Call fn for each active, non-suppressed member of list, in a stable
 * order.  fn returns 0 to go on, non-zero to stop (returned).  -1 after
 * error().
 */
int send_source_each(struct send_source *s, const char *list,
		     int (*fn)(void *data, const struct compose_recipient *r), void *data);

/*
 * Call fn once with `email`'s stored name and attributes when it is a
 * member of list (in any status): previews and test sends of a real
 * member.  1 when found (fn's -1 is returned as -1), 0 when not, -1 after
 * error().
 */
int send_source_find(struct send_source *s, const char *list, const char *email,
		     int (*fn)(void *data, const struct compose_recipient *r), void *data);

/* Number of recipients send_source_each would give, or -1. */
long send_source_count(struct send_source *s, const char *list);

/*
 * From now on send_source_each and send_source_count give only the
 * segment f of list (store.h: store_filter; NULL: the whole list); f
 * must outlive s.  -1 after error() when f names an attribute no member
 * of list has (the message lists those there are).
 */
struct store_filter;
int send_source_where(struct send_source *s, const char *list, const struct store_filter *f);
/* 1 if list exists in the store, 0 if not, -1 after error(). */
int send_source_list_exists(struct send_source *s, const char *list);

#endif
