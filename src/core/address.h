#ifndef ADDRESS_H
#define ADDRESS_H
/*
 * The one e-mail address validator, used everywhere an address enters:
 * CLI, CSV import, the web form, the sender, the config's From.
 *
 * Accepts a bare addr-spec (no display name, no angle brackets, no
 * comments).  RFC 5321 limits: local part ≤ 64 octets, domain ≤ 255,
 * whole path ≤ 256.  Rejects CR, LF, NUL, other control characters and
 * unquoted whitespace; exactly one unquoted '@'; a quoted local part may
 * hold only atext and dots (no specials such as '>' or ',', no '\\'
 * escapes, no '@', white space or control characters: what SMTP envelopes
 * cannot carry safely);
 * comments "(...)" and source routes are rejected; the domain must be a
 * valid host name (LDH labels ≤ 63, at least one dot) or an address literal
 * [1.2.3.4]; an internationalized domain is converted to punycode (libidn2)
 * or rejected with the reason.
 */
#include <stddef.h>

struct strbuf;

/*
 * Validate `in`.  On success return 0 and, if `out` is not NULL, append the
 * normalized address (surrounding whitespace trimmed, domain lower-cased and
 * in A-label form; the local part kept as written).  On failure return -1
 * and set *why (if not NULL) to a static English reason, e.g.
 * "the domain part is missing"; nothing is reported — the caller names the
 * file, line or field.
 */
int address_validate(const char *in, struct strbuf *out, const char **why);

/*
 * 1 if two normalized addresses are one mailbox, else 0: equal but for
 * ASCII case (in the local part: the domain is already lower-case).
 * The store compares the same way (COLLATE NOCASE); the local part is
 * still kept, and sent to, as written.
 */
int address_same(const char *a, const char *b);

/*
 * The one mailbox splitter: "addr@example.org", "<addr@example.org>",
 * "Display Name <addr@example.org>" or "\"Quoted, Name\" <addr@...>".
 * On success appends the display name (unquoted, unescaped; "" if none) to
 * `name` (may be NULL) and the address, validated and normalized by
 * address_validate(), to `addr`, and returns 0.  A bare name containing
 * '<', '>', '"', '@' or '\\', a second '<address>', trailing text, or a
 * name failing address_check_name() is refused: -1 with a static reason in
 * *why, nothing appended.
 */
int address_split_mailbox(const char *in, struct strbuf *name, struct strbuf *addr,
			  const char **why);

/*
 * A person's name as it enters (CLI, CSV, web form, display names): valid
 * UTF-8 with no C0 or C1 control character (tab and line breaks included)
 * and no DEL.  Length is the caller's business (a header phrase folds).
 * 0, or -1 with a static reason.
 */
int address_check_name(const char *name, const char **why);

#endif
