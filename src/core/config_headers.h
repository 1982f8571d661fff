#ifndef CONFIG_HEADERS_H
#define CONFIG_HEADERS_H
/*
 * The config values that end up in a message header, checked when the
 * config loads, so that a value the message builder would refuse can never
 * fail a recipient later:
 *
 *   [newsletter] name                List-Id phrase, From fallback, Subject
 *   [newsletter] from                From: one mailbox (address_split_mailbox)
 *   [newsletter] base_url            List-Unsubscribe, List-Archive, Archived-At
 *   [newsletter] list_id             List-Id: a dot-atom (RFC 2919 section 2)
 *   [newsletter] unsubscribe_mailto  the mailto: of List-Unsubscribe: an address only
 *   [smtp] envelope_from             MAIL FROM: an address only
 *
 * Each message names FILE:LINE: [section] key (config_where).
 */
struct config;

/*
 * Check every value above and normalize in place: envelope_from and
 * unsubscribe_mailto become the bare normalized address (domain in
 * punycode).  Returns 0, or -1 after one error() per bad value.
 */
int config_headers_check(struct config *cfg);

struct strbuf;
/*
 * The envelope sender (MAIL FROM) of the newsletter's mail: [smtp]
 * envelope_from, else the From address; appended to out.  Returns 0, or
 * -1 after error() for a From that config_headers_check() did not pass.
 */
int config_envelope_from(const struct config *cfg, struct strbuf *out);

#endif
