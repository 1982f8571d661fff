/*
 * MIME building by hand (see mime.h for why not libetpan's writer).
 *
 * Everything here appends to a strbuf and is pure: the same inputs give
 * the same bytes.  The output is 7-bit, CRLF only, with no line over 998
 * octets (RFC 5322 §2.1.1) and encoded body lines of at most 76 characters
 * (RFC 2045 §6.7 rule 5).  Quoted-printable, with its per-thread line
 * cache, is in mime_qp.c.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "core/mime.h"
#include "base/utf8.h"

static const char hex_digits[] = "0123456789ABCDEF";

/*
 * RFC 5322 §2.1.1: lines SHOULD be ≤ 78 characters, MUST be ≤ 998.  We
 * fold at 76 because RFC 2047 §2 limits a line holding an encoded word to
 * 76, and one limit for all header lines keeps the code simple.
 */
#define HEADER_SOFT_LIMIT 76
#define HEADER_HARD_LIMIT 998
/* RFC 2047 §2: an encoded-word is at most 75 characters. */
#define EW_MAX 75
#define EW_Q_PREFIX "=?UTF-8?Q?"
#define EW_B_PREFIX "=?UTF-8?B?"
#define EW_OVERHEAD 12	/* prefix (10) + "?=" */

int mime_has_line_break(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
			return 1;
	return 0;
}

/*
 * Every header input passes here first: CR, LF or NUL would end the header
 * (or the string) and let the input write headers of its own; invalid UTF-8
 * cannot be encoded faithfully.
 */
static int check_header_input(const char *field, const char *what, const char *s)
{
	size_t len = strlen(s);

	if (strchr(s, '\r') || strchr(s, '\n'))
		return error("%s: %s contains a line break", field, what);
	if (!utf8_valid(s, len))
		return error("%s: %s is not valid UTF-8", field, what);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Base64, RFC 2045 §6.8                                                */

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Encode n bytes (no line breaks) to p; returns the end. */
static char *b64_raw(char *p, const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];

		*p++ = b64_alphabet[v >> 18];
		*p++ = b64_alphabet[(v >> 12) & 63];
		*p++ = b64_alphabet[(v >> 6) & 63];
		*p++ = b64_alphabet[v & 63];
	}
	if (n - i == 2) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;

		*p++ = b64_alphabet[v >> 18];
		*p++ = b64_alphabet[(v >> 12) & 63];
		*p++ = b64_alphabet[(v >> 6) & 63];
		*p++ = '=';
	} else if (n - i == 1) {
		uint32_t v = (uint32_t)s[i] << 16;

		*p++ = b64_alphabet[v >> 18];
		*p++ = b64_alphabet[(v >> 12) & 63];
		*p++ = '=';
		*p++ = '=';
	}
	return p;
}

void mime_base64_encode(const void *in, size_t len, struct strbuf *out)
{
	const unsigned char *s = in;
	size_t i;
	char *p;

	/* 57 input bytes make one 76-character line. */
	strbuf_grow(out, (len / 57 + 1) * 78 + 1);
	p = out->buf + out->len;
	for (i = 0; i < len; i += 57) {
		size_t n = len - i < 57 ? len - i : 57;

		p = b64_raw(p, s + i, n);
		*p++ = '\r';
		*p++ = '\n';
	}
	out->len = (size_t)(p - out->buf);
	out->buf[out->len] = '\0';
}

/* ------------------------------------------------------------------ */
/* Header fields: RFC 5322 folding, RFC 2047 encoded words             */

/* Column of the end of out (characters since the last CRLF). */
static size_t current_col(const struct strbuf *out)
{
	size_t i = out->len;

	while (i > 0 && out->buf[i - 1] != '\n')
		i--;
	return out->len - i;
}

/*
 * RFC 2047 §5(3): inside a phrase, encoded-text may only use letters,
 * digits and "!*+-/", plus "_" for space.  We use this alphabet for every
 * Q word since it is valid in unstructured text too.
 */
static int q_phrase_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		c == '!' || c == '*' || c == '+' || c == '-' || c == '/';
}

static size_t q_char_len(unsigned char c)
{
	return (q_phrase_safe(c) || c == ' ') ? 1 : 3;
}

/*
 * Append s as a sequence of encoded words, folding with CRLF SP between
 * words so that lines stay ≤ 76 (RFC 2047 §2).  Whitespace between adjacent encoded
 * words is ignored by decoders (RFC 2047 §6.2), so the value decodes back
 * exactly.  Q or B is chosen by which is shorter for the whole value.
 * Words never split a UTF-8 character (§5 last paragraph).
 */
static void add_encoded_words(struct strbuf *out, const char *value)
{
	const unsigned char *s = (const unsigned char *)value;
	size_t n = strlen(value), i, qlen = 0, col = current_col(out);
	int use_b;

	for (i = 0; i < n; i++)
		qlen += q_char_len(s[i]);
	use_b = qlen > (n + 2) / 3 * 4;

	i = 0;
	while (i < n) {
		/* Room for this word's encoded-text: the word after " " on this line. */
		size_t avail, room, used = 0, start = i;

		if (col + 1 + EW_OVERHEAD + 12 > HEADER_SOFT_LIMIT) {
			strbuf_addstr(out, "\r\n");
			col = 0;
			continue;
		}
		avail = HEADER_SOFT_LIMIT - col - 1;
		if (avail > EW_MAX)
			avail = EW_MAX;
		room = avail - EW_OVERHEAD;
		if (use_b)
			room = room / 4 * 3;	/* bytes per word */
		/* Take whole characters while they fit. */
		while (i < n) {
			size_t l = utf8_seq_len((const char *)s + i, n - i), k, cost = 0;

			if (!l)
				BUG("invalid UTF-8 reached the encoder");
			if (use_b)
				cost = l;
			else
				for (k = 0; k < l; k++)
					cost += q_char_len(s[i + k]);
			if (used + cost > room)
				break;
			used += cost;
			i += l;
		}
		if (i == start)
			BUG("encoded word has no room for one character");
		strbuf_addch(out, ' ');
		if (use_b) {
			size_t elen = (i - start + 2) / 3 * 4;

			strbuf_addstr(out, EW_B_PREFIX);
			strbuf_grow(out, elen);
			b64_raw(out->buf + out->len, s + start, i - start);
			strbuf_setlen(out, out->len + elen);
		} else {
			size_t k;

			strbuf_addstr(out, EW_Q_PREFIX);
			for (k = start; k < i; k++) {
				if (s[k] == ' ')
					strbuf_addch(out, '_');
				else if (q_phrase_safe(s[k]))
					strbuf_addch(out, s[k]);
				else
					strbuf_addf(out, "=%c%c", hex_digits[s[k] >> 4], hex_digits[s[k] & 15]);
			}
		}
		strbuf_addstr(out, "?=");
		if (i < n) {
			strbuf_addstr(out, "\r\n");
			col = 0;
		}
	}
}

/*
 * Does a plain ASCII value need encoding anyway?  Control characters (other
 * than tab) are not allowed in unstructured text, a word that looks like an
 * encoded word would be decoded by readers, and a word too long for a
 * 998-octet line cannot be folded.
 */
static int ascii_needs_encoding(const char *v)
{
	const char *p;
	size_t token = 0;	/* whitespace run + word: what folding moves as one */

	for (p = v; *p; p++) {
		unsigned char c = *p;

		if (c >= 0x80 || c == 0x7f || (c < 0x20 && c != '\t'))
			return 1;
		if ((c == ' ' || c == '\t') && p > v && p[-1] != ' ' && p[-1] != '\t')
			token = 0;
		if (++token > HEADER_HARD_LIMIT - 100)
			return 1;
	}
	return strstr(v, "=?") != NULL;
}

/*
 * Append plain text folded before whitespace (RFC 5322 §2.2.3): a fold
 * only inserts CRLF before an existing space or tab, so unfolding gives the
 * value back exactly.  Never folds so that a line would be blank.
 */
static void add_folded_plain(struct strbuf *out, const char *v)
{
	size_t col = current_col(out);
	const char *p = v;

	while (*p) {
		/* A token: leading whitespace and the word after it. */
		const char *q = p;
		size_t tlen;

		while (*q == ' ' || *q == '\t')
			q++;
		while (*q && *q != ' ' && *q != '\t')
			q++;
		tlen = (size_t)(q - p);
		if (col > 0 && col + tlen > HEADER_SOFT_LIMIT && (*p == ' ' || *p == '\t') &&
		    p[strspn(p, " \t")] != '\0') {
			strbuf_addstr(out, "\r\n");
			col = 0;
		}
		strbuf_add(out, p, tlen);
		col += tlen;
		p = q;
	}
}

int mime_add_unstructured(struct strbuf *out, const char *field, const char *value)
{
	if (!value)
		value = "";
	if (check_header_input(field, "value", value) < 0)
		return -1;
	strbuf_addstr(out, field);
	strbuf_addch(out, ':');
	if (!*value) {
		strbuf_addstr(out, "\r\n");
		return 0;
	}
	/*
	 * Leading or trailing whitespace would be taken for folding white
	 * space and lost; inside encoded words it is kept.
	 */
	if (ascii_needs_encoding(value) || value[0] == ' ' || value[0] == '\t' ||
	    value[strlen(value) - 1] == ' ' || value[strlen(value) - 1] == '\t') {
		add_encoded_words(out, value);
	} else {
		strbuf_addch(out, ' ');
		add_folded_plain(out, value);
	}
	strbuf_addstr(out, "\r\n");
	return 0;
}

/* RFC 5322 §3.2.3 atext. */
static int is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		(c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* A display name that may be written bare: atoms separated by single spaces. */
static int is_plain_phrase(const char *s)
{
	const char *p;

	if (!*s || *s == ' ')
		return 0;
	for (p = s; *p; p++) {
		if (*p == ' ') {
			if (p[1] == ' ' || p[1] == '\0')
				return 0;
		} else if (!is_atext((unsigned char)*p)) {
			return 0;
		}
	}
	return 1;
}

/*
 * Append a display name (RFC 5322 §3.2.5 phrase): bare atoms, a
 * quoted-string, or encoded words (RFC 2047 §5(3)).  Leaves the column
 * after it; adds a leading space.
 */
static void add_phrase(struct strbuf *out, const char *name, size_t reserve)
{
	size_t col = current_col(out), qlen = 2;
	const char *p;

	for (p = name; *p; p++)
		qlen += (*p == '"' || *p == '\\') ? 2 : 1;
	/* A tab inside a quoted-string is folding white space to a parser. */
	if (ascii_needs_encoding(name) || strchr(name, '\t')) {
		add_encoded_words(out, name);
		return;
	}
	if (is_plain_phrase(name) && col + 1 + strlen(name) + reserve <= HEADER_SOFT_LIMIT) {
		strbuf_addch(out, ' ');
		strbuf_addstr(out, name);
		return;
	}
	if (col + 1 + qlen + reserve <= HEADER_SOFT_LIMIT) {
		strbuf_addstr(out, " \"");
		for (p = name; *p; p++) {
			if (*p == '"' || *p == '\\')
				strbuf_addch(out, '\\');
			strbuf_addch(out, *p);
		}
		strbuf_addch(out, '"');
		return;
	}
	/* Too long for one line: encoded words fold cleanly. */
	add_encoded_words(out, name);
}

/*
 * An addr-spec or URL written between angle brackets must not be able to
 * close the bracket or start a new line; the caller's validator does the
 * real checking, this is the last line of defence.
 */
static int check_angle_content(const char *field, const char *what, const char *s,
			       int allow_quote)
{
	const unsigned char *p;

	if (!*s)
		return error("%s: %s is empty", field, what);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '\r' || *p == '\n')
			return error("%s: %s contains a line break", field, what);
		if (*p <= 0x20 || *p >= 0x7f || *p == '<' || *p == '>' ||
		    (*p == '"' && !allow_quote))
			return error("%s: %s '%s' contains a character not allowed there", field, what, s);
	}
	if (strlen(s) > HEADER_HARD_LIMIT - 100)
		return error("%s: %s is too long", field, what);
	return 0;
}

int mime_add_mailbox(struct strbuf *out, const char *field, const char *name, const char *addr)
{
	size_t alen;

	if (name && check_header_input(field, "display name", name) < 0)
		return -1;
	if (check_angle_content(field, "address", addr, 1) < 0)
		return -1;
	alen = strlen(addr);
	if (!strchr(addr, '@') || alen > 256)
		return error("%s: '%s' is not an address", field, addr);
	strbuf_addstr(out, field);
	strbuf_addch(out, ':');
	if (!name || !*name) {
		strbuf_addch(out, ' ');
		strbuf_addstr(out, addr);
		strbuf_addstr(out, "\r\n");
		return 0;
	}
	add_phrase(out, name, alen + 3);
	if (current_col(out) + alen + 3 > HEADER_SOFT_LIMIT)
		strbuf_addstr(out, "\r\n");
	strbuf_addf(out, " <%s>\r\n", addr);
	return 0;
}

/* ------------------------------------------------------------------ */

void mime_format_date(time_t t, struct strbuf *out)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	/* Names by hand: strftime's %a/%b follow the locale (RFC 5322 §3.3 is English). */
	if (!gmtime_r(&t, &tm))
		BUG("gmtime_r failed");
	strbuf_addf(out, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
		    tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		    tm.tm_sec);
}

/* ------------------------------------------------------------------ */

/* "=_" then 24..68 of [A-Za-z0-9]: see the comment in mime.h. */
static int check_boundary(const char *b)
{
	size_t n, i;

	if (!b || strncmp(b, "=_", 2) != 0)
		return error("boundary must start with '=_'");
	n = strlen(b + 2);
	/* RFC 2046 §5.1.1: at most 70 characters. */
	if (n < 24 || n > 68)
		return error("boundary must have 24 to 68 characters after '=_'");
	for (i = 2; b[i]; i++) {
		unsigned char c = b[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return error("boundary may only contain letters and digits after '=_'");
	}
	return 0;
}

/* RFC 5322 §3.6.4 msg-id without brackets: dot-atom-text "@" dot-atom-text. */
static int check_message_id(const char *id)
{
	const char *at, *p;

	if (!id || !*id)
		return error("Message-ID: missing");
	if (mime_has_line_break(id, strlen(id)))
		return error("Message-ID: contains a line break");
	at = strchr(id, '@');
	if (!at || at == id || !at[1] || strchr(at + 1, '@') || strlen(id) > 250)
		return error("Message-ID: '%s' is not of the form 'left@right'", id);
	for (p = id; *p; p++)
		if (*p != '@' && *p != '.' && !is_atext((unsigned char)*p))
			return error("Message-ID: '%s' contains a character not allowed there", id);
	return 0;
}

/* List-Id (RFC 2919 §2): the list-id is a dot-atom-text. */
static int check_list_id(const char *id)
{
	const char *p;

	if (!*id)
		return error("List-Id: empty");
	for (p = id; *p; p++)
		if (*p != '.' && !is_atext((unsigned char)*p))
			return error("List-Id: '%s' contains a character not allowed there", id);
	return 0;
}

static int check_url(const char *field, const char *url, const char *scheme1,
		     const char *scheme2)
{
	if (check_angle_content(field, "URL", url, 0) < 0)
		return -1;
	if (strncmp(url, scheme1, strlen(scheme1)) != 0 &&
	    !(scheme2 && strncmp(url, scheme2, strlen(scheme2)) == 0))
		return error("%s: URL '%s' must start with '%s'", field, url, scheme1);
	return 0;
}

/* "Field: <url>" on one line: check_url() bounds it well below 998. */
static void add_url_header(struct strbuf *out, const char *field, const char *url)
{
	strbuf_addf(out, "%s: <%s>\r\n", field, url);
}

/*
 * Extra headers come pre-formatted: every line must end in CRLF, be 7-bit,
 * at most 998 octets, and the first line of each field must be "Name:".
 */
static int check_extra_headers(const char *h)
{
	const char *p = h;

	while (*p) {
		const char *eol = strstr(p, "\r\n"), *q;

		if (!eol)
			return error("extra headers: the last line does not end in CRLF");
		if (eol - p > HEADER_HARD_LIMIT)
			return error("extra headers: a line is longer than 998 octets");
		if (eol == p)
			return error("extra headers: empty line");
		for (q = p; q < eol; q++) {
			unsigned char c = *q;

			if (c == '\r' || c == '\n' || c >= 0x80 || (c < 0x20 && c != '\t'))
				return error("extra headers: invalid character 0x%02x", c);
		}
		if (*p != ' ' && *p != '\t') {
			for (q = p; q < eol && *q != ':'; q++)
				if (*q <= 0x20 || *q >= 0x7f)
					break;
			if (q == p || q == eol || *q != ':')
				return error("extra headers: '%.*s' is not a header field",
					     (int)(eol - p), p);
		} else if (p == h) {
			return error("extra headers: starts with a continuation line");
		}
		p = eol + 2;
	}
	return 0;
}

static void add_part(struct strbuf *out, const char *boundary, const char *type,
		     const char *body, size_t len)
{
	strbuf_addf(out, "\r\n--%s\r\n", boundary);
	strbuf_addf(out, "Content-Type: %s; charset=UTF-8\r\n", type);
	strbuf_addstr(out, "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	/* The CRLF before the next delimiter belongs to it (RFC 2046 §5.1.1). */
	mime_qp_encode(body, len, out);
}

int mime_build(const struct mime_message *m, struct strbuf *out)
{
	size_t start = out->len;

	if (check_boundary(m->boundary) < 0 || check_message_id(m->message_id) < 0)
		goto fail;
	if (!m->from_addr || !m->to_addr)
		BUG("mime_build without From or To address");
	if (m->list_id && check_list_id(m->list_id) < 0)
		goto fail;
	if (m->list_name && check_header_input("List-Id", "list name", m->list_name) < 0)
		goto fail;
	if (m->unsubscribe_url &&
	    check_url("List-Unsubscribe", m->unsubscribe_url, "https://", "http://") < 0)
		goto fail;
	if (m->unsubscribe_mailto &&
	    check_url("List-Unsubscribe", m->unsubscribe_mailto, "mailto:", NULL) < 0)
		goto fail;
	if (m->archive_url && check_url("List-Archive", m->archive_url, "https://", "http://") < 0)
		goto fail;
	if (m->archived_at && check_url("Archived-At", m->archived_at, "https://", "http://") < 0)
		goto fail;
	if (m->precedence && (!*m->precedence || m->precedence[strspn(m->precedence,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-")])) {
		error("Precedence: value is not a single word");
		goto fail;
	}
	if (m->extra_headers && check_extra_headers(m->extra_headers) < 0)
		goto fail;

	if (mime_add_mailbox(out, "From", m->from_name, m->from_addr) < 0 ||
	    mime_add_mailbox(out, "To", m->to_name, m->to_addr) < 0 ||
	    mime_add_unstructured(out, "Subject", m->subject) < 0)
		goto fail;
	strbuf_addstr(out, "Date: ");
	mime_format_date(m->date, out);
	strbuf_addf(out, "\r\nMessage-ID: <%s>\r\n", m->message_id);
	strbuf_addstr(out, "MIME-Version: 1.0\r\n");
	if (m->list_id) {
		/* RFC 2919 §3: List-Id: [phrase] "<" list-id ">" */
		strbuf_addstr(out, "List-Id:");
		if (m->list_name && *m->list_name)
			add_phrase(out, m->list_name, strlen(m->list_id) + 3);
		if (current_col(out) + strlen(m->list_id) + 3 > HEADER_SOFT_LIMIT)
			strbuf_addstr(out, "\r\n");
		strbuf_addf(out, " <%s>\r\n", m->list_id);
	}
	if (m->unsubscribe_url || m->unsubscribe_mailto) {
		/* RFC 2369 §3.2: a list of URLs in angle brackets, preferred first. */
		strbuf_addstr(out, "List-Unsubscribe:");
		/* A URL is never folded inside; a long one makes a long line (≤ 998). */
		if (m->unsubscribe_url)
			strbuf_addf(out, " <%s>", m->unsubscribe_url);
		if (m->unsubscribe_mailto) {
			if (m->unsubscribe_url)
				strbuf_addch(out, ',');
			if (current_col(out) + strlen(m->unsubscribe_mailto) + 3 > HEADER_SOFT_LIMIT)
				strbuf_addstr(out, "\r\n");
			strbuf_addf(out, " <%s>", m->unsubscribe_mailto);
		}
		strbuf_addstr(out, "\r\n");
		/* RFC 8058 §3.1: one-click needs the HTTP(S) URL to POST to. */
		if (m->unsubscribe_url)
			strbuf_addstr(out, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
	}
	if (m->archive_url)
		add_url_header(out, "List-Archive", m->archive_url);
	if (m->archived_at)
		add_url_header(out, "Archived-At", m->archived_at);
	if (m->precedence)
		strbuf_addf(out, "Precedence: %s\r\n", m->precedence);
	if (m->extra_headers)
		strbuf_addstr(out, m->extra_headers);
	strbuf_addf(out, "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n",
		    m->boundary);

	add_part(out, m->boundary, "text/plain", m->text ? m->text : "", m->text ? m->text_len : 0);
	add_part(out, m->boundary, "text/html", m->html ? m->html : "", m->html ? m->html_len : 0);
	strbuf_addf(out, "\r\n--%s--\r\n", m->boundary);
	return 0;
fail:
	strbuf_setlen(out, start);
	return -1;
}
