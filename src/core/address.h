#ifndef ADDRESS_H
#define ADDRESS_H
/*
 * The one e-mail address validator, used everywhere an address enters:
 * CLI, CSV import, the web form, the sender, the config's From.
 *
 * Accepts a bare addr-spec (no display name, no angle brackets, no
 * comments).  RFC 5321 limits: local part ≤ 64 octets, domain ≤ 255,
 * whole path ≤ 256.  Rejects CR, LF, NUL, other control characters and
 * unquoted whitespace; exactly one unquoted '@'; quoted local parts are
 * accepted only when they contain no '@', whitespace or control characters;
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

#endif
