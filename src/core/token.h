#ifndef TOKEN_H
#define TOKEN_H
/*
 * Unsubscribe / confirmation tokens and Message-IDs: HMAC-SHA256 (nettle)
 * keyed by the secret from the environment ([serve] secret_env).
 *
 * A token is "<purpose-char><base64url(email)>.<base64url(list)>.<mac>"
 * where mac is the first 16 bytes (128 bits) of
 * HMAC-SHA256(secret, purpose "\0" email "\0" list), base64url.  It carries
 * the address so that verification needs no database lookup; a forged or
 * truncated token is rejected by a constant-time comparison before anything
 * touches the store.
 *
 * A timed token (the confirmation link) carries its issue time as well:
 * "<purpose-char><base64url(email)>.<base64url(list)>.<unix time, decimal>.<mac>"
 * with mac over purpose "\0" email "\0" list "\0" time, so the holder
 * cannot extend it.  Confirm tokens were untimed under purpose 'c' once;
 * those are no longer accepted (they never expired), while unsubscribe
 * tokens keep the untimed form so every link already sent keeps working.
 */
#include <stddef.h>
#include <stdint.h>

struct strbuf;

enum token_purpose {
	TOKEN_UNSUBSCRIBE = 'u',	/* untimed */
	TOKEN_CONFIRM = 'C',		/* timed */
};

/* Append an untimed token for (email, list) to out. */
void token_make(const char *secret, enum token_purpose p, const char *email,
		const char *list, struct strbuf *out);

/*
 * Verify; on success return 0 and set *email, *list (newly allocated).
 * On any failure return -1 without reporting (callers answer 400).
 */
int token_verify(const char *secret, enum token_purpose p, const char *token,
		 char **email, char **list);

/*
 * Why token (timed or not, as the link it came in wants) does not
 * verify, for the log of a refused link: a static phrase naming the check
 * that failed ("the signature does not match: ..."), never the token or
 * the secret; NULL when it verifies.
 */
const char *token_reject_reason(const char *secret, enum token_purpose p, const char *token,
				int timed);

/* Append a timed token for (email, list) issued at `issued` (unix time, >= 0). */
void token_make_timed(const char *secret, enum token_purpose p, const char *email,
		      const char *list, int64_t issued, struct strbuf *out);

/*
 * Verify a timed token: 0 with *email, *list (newly allocated) and
 * *issued set, or -1 (nothing reported, nothing allocated).  Whether it
 * has expired is the caller's rule: the token only proves when it was made.
 */
int token_verify_timed(const char *secret, enum token_purpose p, const char *token,
		       char **email, char **list, int64_t *issued);

/*
 * A Message-ID local part, stable for (issue, email) and unguessable without
 * the secret: base32 of HMAC(secret, "msgid\0" issue "\0" email), 26 chars.
 */
void token_message_id(const char *secret, int issue, const char *email, struct strbuf *out);

/*
 * VERP (variable envelope return path): the token a message's envelope
 * sender carries, so that a bounce names the delivery it is about however
 * the remote system mangles its report.  It encodes the issue and the
 * delivery journal's row id (unique per issue and recipient, so
 * attribution is exact and the token short) and a MAC:
 * "<issue base36>-<row base36>-<16 base32 chars>" of [a-z0-9-], 80 bits of
 * HMAC(secret, "verp\0" issue "\0" row).  Lower case, because MTAs and
 * mailbox providers may fold the local part's case.
 */
void token_verp_make(const char *secret, int issue, long long row, struct strbuf *out);
/*
 * Verify a VERP token (any case); 0 with *issue and *row set, or -1
 * (nothing reported) for anything forged, truncated or malformed.
 */
int token_verp_verify(const char *secret, const char *token, int *issue, long long *row);
/*
 * Append LOCAL+TOKEN@DOMAIN to out for the validated address `envelope`
 * (LOCAL@DOMAIN).  Returns 0, or -1 with nothing appended when the local
 * part cannot carry a tag: quoted, already holding a '+', or too long for
 * RFC 5321's 64 octets (section 4.5.3.1.1) with the tag.
 */
int token_verp_address(const char *secret, const char *envelope, int issue, long long row,
		       struct strbuf *out);
/*
 * Find and verify a VERP token in `address` (the part of the local part
 * after its first '+').  0 with *issue and *row set, or -1.
 */
int token_verp_find(const char *secret, const char *address, int *issue, long long *row);

/* SHA-256 of data as 64 lowercase hex digits and a NUL, into hex[65]. */
void token_digest(const void *data, size_t len, char hex[65]);

/* HMAC-SHA256 into mac[32]. */
void token_hmac(const char *secret, const void *data, size_t len, unsigned char mac[32]);

/* Fill buf with n cryptographically random bytes (getrandom).  0 or -1 after error(). */
int token_random(void *buf, size_t n);

/*
 * Append n random characters from [A-Za-z0-9] (for MIME boundaries and
 * Message-IDs: drawn from a per-thread pool of getrandom() bytes, so not
 * for secrets).  0 or -1 after error().
 */
int token_random_alnum(size_t n, struct strbuf *out);

#endif
