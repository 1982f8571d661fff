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
