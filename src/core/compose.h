#ifndef COMPOSE_H
#define COMPOSE_H
/*
 * Personalization: an issue becomes one message per recipient.
 *
 * compose_prepare() does the per-issue work once: parse the Markdown
 * (markdown.h), render HTML and text, compile those renderings and the
 * templates (email.html, email.txt) as Mustache, and build the shared
 * context (newsletter.*, issue.*).  compose_message() then does only the
 * per-recipient work: fill templates, build MIME.  A prepared struct
 * compose is read-only and may be used from several threads at once.
 *
 * Template context (see templates/README.md):
 *   newsletter.name, .from, .base_url, .list_id, .language
 *   issue.title, .number, .date, .date_long ("27 November 2026"), .subject,
 *         .preheader, .web_url (archive page = Archived-At), .slug
 *   content                     the rendered body (HTML or text)
 *   subscriber.email, .name, .<attribute>   (absent in the archive)
 *   unsubscribe_url             https URL with the subscriber's token
 *   subscribe_url               base_url + "subscribe"
 *   archive_url                 base_url
 */
#include <stddef.h>
#include <time.h>

struct config;
struct issue;
struct strbuf;
struct compose;

struct compose_recipient {
	const char *email;		/* validated, normalized */
	const char *name;		/* may be NULL or "" */
	const char *list;		/* list name for the unsubscribe token */
	size_t nattrs;			/* extra attributes: subscriber.<key> */
	const char *const *attr_keys;
	const char *const *attr_values;
	/*
	 * The Message-ID's local part, or NULL for the one derived from the
	 * issue and the address (what the journal records and bounces match).
	 * A test copy gives its own, or the real issue, with the same ID,
	 * would be dropped as a duplicate by clients that saw the test.
	 */
	const char *message_id_local;
};

/*
 * Prepare `is` for sending with the config's templates.  `secret` keys the
 * unsubscribe tokens and Message-IDs (NULL: a fixed development key is used
 * and the caller is expected to have warned).  Returns NULL after error()
 * (template syntax errors name the template file and line).  The
 * templates are rendered once for a sample recipient here, so a template
 * whose expansion never ends (a partial that includes itself) fails
 * prepare, with the file and line where it blew up, before any message.
 * The compose keeps pointers to cfg and is; both must outlive it.
 */
struct compose *compose_prepare(const struct config *cfg, const struct issue *is,
				const char *secret);
/*
 * The same, with the issue's local images (image.h, markdown_set_images)
 * shown as images says: their published URL in a message, a path to the
 * file in a preview.  images (may be NULL) is needed only during the call.
 */
struct image_map;
struct compose *compose_prepare_images(const struct config *cfg, const struct issue *is,
				       const char *secret, const struct image_map *images);

/*
 * The pure core of the two above (compose.c reads no file, clock or
 * environment; compose_load.c does that for them): `t` holds email.html
 * and email.txt compiled from `set` (templates.h), which keeps their
 * partials' names; the compose takes all three, on failure too, and
 * zeroes *t.
 */
struct templates;
struct tmpl;
struct compose_templates {
	struct templates *set;
	struct tmpl *html, *text;
};
struct compose *compose_new(const struct config *cfg, const struct issue *is, const char *secret,
			    const struct image_map *images, struct compose_templates *t);
void compose_free(struct compose *c);

/* The subject line (owned by c). */
const char *compose_subject(const struct compose *c);
/* The issue's web page URL (owned by c): base_url + "issues/<slug>.html". */
const char *compose_web_url(const struct compose *c);

struct compose_output {
	struct strbuf *eml;	/* the complete message (CRLF), or NULL */
	struct strbuf *html;	/* the HTML part as sent, or NULL */
	struct strbuf *text;	/* the text part as sent, or NULL */
	struct strbuf *message_id; /* the Message-ID without <>, or NULL */
};

/*
 * Build one recipient's message, appending to the buffers in out.  `date`
 * and `boundary` are inputs (the caller uses the clock and token_random) so
 * output is reproducible.  `subject_prefix` (e.g. "[TEST] ") may be NULL.
 * Returns 0, or -1 after error() naming the recipient (e.g. a name with a
 * line break, or a template that never ends with this recipient's data:
 * nothing is appended to out then, never a truncated message).
 */
int compose_message(const struct compose *c, const struct compose_recipient *r,
		    time_t date, const char *boundary, const char *subject_prefix,
		    const struct compose_output *out);

/*
 * For `check`: render once for a sample recipient and report every template
 * variable that nothing fills (fn is called with the name and where it is).
 */
void compose_each_unfilled(const struct compose *c,
			   void (*fn)(void *data, const char *name, const char *where, int line),
			   void *data);

/*
 * Append a fresh MIME boundary: "=_" and 28 random alphanumerics
 * (unpredictable; "=_" never occurs in quoted-printable).  NEWSBEAT_BOUNDARY
 * pins it for golden tests.  Returns 0, or -1 after error().
 */
int compose_boundary(struct strbuf *out);

/*
 * Append a Message-ID (without <>) for mail from from_addr: `local`, or
 * when NULL 24 random alphanumerics, then "@" and from_addr's domain (the
 * domain the sender controls, RFC 5322 §3.6.4).  Returns 0, or -1 after
 * error().
 */
int compose_message_id(const char *local, const char *from_addr, struct strbuf *out);


#endif
