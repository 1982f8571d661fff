/*
 * From what a mail server said to a reason (Sisimai's names) and a kind.
 * Words first, then the RFC 3463 code: servers often send a generic code
 * (5.0.0, 5.7.1) with precise words, and a precise code with words that
 * correct it.  This file holds the one rule for "hard"; see classify().
 */
#include "base/common.h"
#include "bounce/bounce_internal.h"

#include <strings.h>

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_alnum(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Digits at s[i..]: how many (at most max), 0 if none or too many. */
static size_t digits(const char *s, size_t n, size_t i, size_t max)
{
	size_t k = 0;

	while (i + k < n && is_digit((unsigned char)s[i + k]))
		k++;
	return k > max ? 0 : k;
}

int bounce_find_status(const char *s, size_t n, char out[16])
{
	for (size_t i = 0; i + 5 <= n; i++) {
		size_t a, b, end;
		int c = (unsigned char)s[i];

		if ((c != '2' && c != '4' && c != '5') || s[i + 1] != '.')
			continue;
		/* Not the tail of an IP address or a version number. */
		if (i > 0 && (is_alnum((unsigned char)s[i - 1]) || s[i - 1] == '.' || s[i - 1] == '-'))
			continue;
		a = digits(s, n, i + 2, 3);
		if (!a || i + 2 + a >= n || s[i + 2 + a] != '.')
			continue;
		b = digits(s, n, i + 3 + a, 3);
		if (!b)
			continue;
		end = i + 3 + a + b;
		if (end < n && (is_alnum((unsigned char)s[end]) ||
				(s[end] == '.' && end + 1 < n && is_digit((unsigned char)s[end + 1]))))
			continue;
		memcpy(out, s + i, end - i);
		out[end - i] = '\0';
		return 1;
	}
	return 0;
}

/* x.0.0 and the like say nothing about the cause. */
static int generic_status(const char *st)
{
	return !st[0] || !strncmp(st + 1, ".0.0", 4);
}

/* The first code in s[0..n) that is not x.0.0; 0 if none. */
static int bounce_find_specific_status(const char *s, size_t n, char out[16])
{
	size_t i = 0;

	while (i < n && bounce_find_status(s + i, n - i, out)) {
		const char *p = memmem(s + i, n - i, out, strlen(out));

		if (!generic_status(out))
			return 1;
		i = (size_t)(p - s) + strlen(out);
	}
	return 0;
}

int bounce_find_reply_code(const char *s, size_t n)
{
	for (size_t i = 0; i + 3 <= n; i++) {
		int c = (unsigned char)s[i];

		if (c != '2' && c != '4' && c != '5')
			continue;
		if (i > 0 && (is_alnum((unsigned char)s[i - 1]) || strchr(".-#:/", s[i - 1])))
			continue;
		if (!is_digit((unsigned char)s[i + 1]) || !is_digit((unsigned char)s[i + 2]) || s[i + 1] > '5')
			continue;
		if (i + 3 < n && s[i + 3] != ' ' && s[i + 3] != '-' && s[i + 3] != '\t' && s[i + 3] != ')')
			continue;
		return (c - '0') * 100 + (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
	}
	return 0;
}

/*
 * Server words to reasons, first match wins, so the order matters: what
 * blames the sender and what is about the mailbox's state come before
 * "user unknown", whose words ("rejected", "not found") are the vaguest.
 * Lowercase.
 */
static const struct {
	const char *reason;
	const char *const *words;
} reason_words[] = {
#define W(...) (const char *const[]){ __VA_ARGS__, NULL }
	{ "rejected", W("sender address rejected", "domain of sender", "sender domain", "sender rejected",
			"sender verify failed", "sender address", "from: domain is invalid", "invalid sender",
			"mail from", "envelope sender", "sender is not") },
	{ "norelaying", W("relay access denied", "relaying denied", "relay denied", "relay not permitted",
			  "relaying not permitted", "not permitted to relay", "unable to relay", "relaying mail to",
			  "relay not allowed", "relaying not allowed", "we do not relay", "not allowed to relay",
			  "no relaying", "relay prohibited", "insecure mail relay", "unauthorized relay",
			  "you are not permitted to relay") },
	{ "mailboxfull", W("mailbox full", "mailbox is full", "mailbox has exceeded", "over quota", "overquota",
			   "quota exceeded", "exceeded storage", "exceeds quota", "exceed quota", "exceeded quota",
			   "quota full", "mailbox size limit", "insufficient system storage", "full mailbox",
			   "mailbox exceeds", "user is over", "too much mail", "mail box full", "mailfolder is full",
			   "storage limit", "disk quota", "quota exceed", "box is full", "out of storage",
			   "not enough storage", "mailbox quota", "has exceeded the", "exceeding its mailbox") },
	{ "exceedlimit", W("message size exceeds limit for the recipient", "exceeds size limit") },
	{ "mesgtoobig", W("message too large", "message is too large", "message size exceeds",
			  "message too big", "message exceeds", "too big for", "size limit", "message length exceeds",
			  "exceeds the maximum size", "exceeded the maximum size", "message file too big",
			  "mail size", "larger than") },
	{ "requireptr", W("reverse dns", "reverse lookup", "ptr record", "no ptr", "rdns", "reverse address",
			  "cannot find your hostname", "can't find your hostname", "cannot resolve your hostname",
			  "hostname does not resolve", "does not have a reverse", "reverse-dns", "no reverse",
			  "unresolvable relay host name", "cannot find your reverse", "ip name lookup failed",
			  "looked up your host name", "lookup of your host") },
	{ "authfailure", W("spf check", "spf fail", "spf=fail", "spf validation", "sender policy framework",
			   "dmarc", "dkim", "spf record", "spf: ", "spf)", "authentication check",
			   "not authenticated", "unauthenticated", "sender is not authorized to send",
			   "is not permitted to send") },
	{ "badreputation", W("reputation", "sender score", "senderscore", "low sender", "poor sender") },
	{ "virusdetected", W("virus", "malware", "infected", "malicious") },
	/* Block lists by name, before "spam" (spamhaus, spamcop). */
	{ "blocked", W("spamhaus", "spamcop", "dnsbl", "blacklist", "black list", "blocklist", "block list",
		       "barracudacentral", "sorbs") },
	{ "spamdetected", W("spam", "junk mail", "unsolicited", "bulk mail", "content filter rejected",
			    "appears to be unsolicited", "message content rejected", "detected as spam") },
	{ "blocked", W("blocked", "blacklist", "black list", "blocklist", "block list", "denylist",
		       "spamhaus", "spamcop", "dnsbl", "rbl", "sorbs", "barracudacentral", "listed at", "is listed", "client host rejected", "banned", "not allowed to send mail from",
		       "your ip", "access denied", "refused to talk", "connection refused by",
		       "dynamic ip", "dynamic address", "residential", "bad ip",
		       "poor reputation", "service unavailable, client host", "mail from ip") },
	{ "toomanyconn", W("too many connections", "too many concurrent", "connection limit", "too many sessions",
			   "exceeded the limit of simultaneous") },
	{ "speeding", W("rate limit", "too many recipients", "ratelimit", "rate-limit", "too many messages", "sending rate",
			"throttl", "try again later, closing connection", "exceeded the rate") },
	{ "policyviolation", W("policy violation", "policy reasons", "violates", "violation", "prohibited",
			       "not allowed by policy", "local policy", "content policy", "policy rejection",
			       "administrative prohibition", "message rejected due to", "policy") },
	{ "notcompliantrfc", W("rfc 5322", "rfc5322", "rfc 2822", "rfc2822", "rfc 822", "not rfc compliant",
			       "multiple addresses in from", "duplicate header", "message is not rfc") },
	{ "securityerror", W("authentication required", "authentication failed", "tls required",
			     "encryption required", "must issue a starttls", "security policy") },
	{ "hasmoved", W("has moved", "address has changed", "no longer with", "changed address",
			"forwarding address", "is now at") },
	{ "suspend", W("suspended", "disabled", "deactivated", "inactive", "not active", "account has been",
		       "mailbox is frozen", "expired account", "account expired", "locked", "closed",
		       "temporarily unavailable", "has been terminated", "no longer active", "dormant",
		       "is unavailable") },
	{ "hostunknown", W("host not found", "host unknown", "unknown host", "domain not found",
			   "domain does not exist", "no such domain", "unknown domain", "name or service not known",
			   "unrouteable mail domain", "unroutable domain", "nxdomain", "domain name not found",
			   "dns error", "host or domain name not found",
			   "non-existent hosts", "nonexistent domain", "bad destination system", "domain is invalid",
			   "invalid domain", "domain lookup failed", "hostname lookup", 
			   "not a valid domain", "no such host", "couldn't find any host",
			   "unable to resolve", "couldn't find a mail exchanger", "could not find a mail exchanger", "domain is not reachable", "not our domain", "not hosted here") },
	{ "mailererror", W("procmail", "mailer error", "couldn't create", "command died", "command output:",
			   "mail.local", "unable to create", "x-unix", "local delivery failed", "pipe to |") },
	{ "userunknown", W("user unknown", "unknown user", "no such user", "unknown recipient",
			   "recipient unknown", "user not found", "recipient not found", "mailbox not found",
			   "mailbox does not exist", "address does not exist",
			   "account does not exist", "does not exist", "doesn't exist", "doesn't have a",
			   "no mailbox", "no such mailbox", "no such recipient", "no such account",
			   "not a valid mailbox", "invalid mailbox", "invalid recipient", "invalid address",
			   "bad destination mailbox", "unknown address", "unknown local part", "unrouteable address",
			   "unknown or illegal alias", "address unknown", "unknown account", "user doesn't",
			   "user does not", "no account", "not our customer", "is not a valid", "is not valid",
			   "invalid user", "user invalid", "unknown mailbox", "mailbox unknown", "not known", "no valid recipients",
			   "not listed in", "undeliverable address", "unavailable user",
			   "no longer exists", "not exist", "there is no one", "non-existent user",
			   "nonexistent", "cannot find the recipient", "could not be found", "unknown email",
			   "no mail box", "mailbox name not allowed", "could not deliver mail to this user",
			   "invalid-recipient", "adresse inconnue", "destinataire inconnu", "unbekannt",
			   "not have an account", "no user", "recipient does not", "rejected: user") },
	{ "notaccept", W("does not accept mail", "not accepting mail", "accepts no mail", "null mx",
			 "not accept any mail", "not accepting network messages", "system not accepting", "does not receive mail", "no mx found", "no mx record found") },
	{ "expired", W("retry timeout exceeded", "retry time", "delivery time expired", "message expired",
		       "has been delayed", "could not be delivered within", "gave up", "giving up",
		       "too long", "queue too long", "time limit", "timeout", "timed out", "time out",
		       "not delivered for", "expired", "delivery attempts will continue", "will be retried") },
	{ "networkerror", W("connection refused", "network", "lost connection", "routing loop", "mail loop",
			    "too many hops", "loop detected", "unreachable", "connect to", "could not connect",
			    "unable to connect", "connection reset", "no route", "mail for", "loops back") },
	{ "systemerror", W("system error", "internal error", "server error", "local error",
			   "configuration error", "system config", "temporary failure", "temporary error",
			   "system is not", "server configuration", "out of memory", "mail system full",
			   "system failure", "resources temporarily") },
	{ "syntaxerror", W("syntax error", "command unrecognized", "unrecognized command", "line too long") },
	{ "contenterror", W("content", "header error", "invalid header", "malformed", "mime") },
	{ "filtered", W("filtered", "recipient preferences", "refused due to recipient", "delivery not authorized", "refused by recipient", "not authorized to receive",
			"rejected by recipient", "message rejected") },
	{ "rejected", W("rejected", "denied", "refused", "sender address", "not allowed", "unacceptable",
			"domain of sender", "sender domain", "no such sender", "bad sender") },
#undef W
};

static const char *reason_from_words(const char *s, size_t n)
{
	struct strbuf low = STRBUF_INIT;
	const char *found = NULL;

	if (!s || !n)
		return NULL;
	bounce_lower(&low, s, n);
	for (size_t i = 0; i < ARRAY_SIZE(reason_words) && !found; i++)
		for (const char *const *w = reason_words[i].words; *w; w++)
			if (strstr(low.buf, *w)) {
				found = reason_words[i].reason;
				break;
			}
	strbuf_release(&low);
	return found;
}

/* RFC 3463 subject.detail -> reason, for codes precise enough to say. */
static const char *reason_from_status(const char *st)
{
	static const struct { const char *code; const char *reason; } codes[] = {
		{ "1.0", "userunknown" }, { "1.1", "userunknown" }, { "1.2", "hostunknown" }, { "1.3", "userunknown" },
		{ "1.4", "userunknown" }, { "1.6", "hasmoved" }, { "1.7", "rejected" },
		{ "1.8", "rejected" }, { "1.10", "notaccept" },
		{ "2.0", "filtered" }, { "2.1", "suspend" }, { "2.2", "mailboxfull" },
		{ "2.3", "exceedlimit" }, { "2.4", "systemerror" },
		{ "3.0", "systemerror" }, { "3.1", "systemfull" }, { "3.2", "notaccept" },
		{ "3.3", "systemerror" }, { "3.4", "mesgtoobig" }, { "3.5", "systemerror" },
		{ "4.0", "networkerror" }, { "4.1", "networkerror" }, { "4.2", "networkerror" },
		{ "4.3", "systemerror" }, { "4.4", "hostunknown" }, { "4.5", "networkerror" },
		{ "4.6", "networkerror" }, { "4.7", "expired" },
		{ "5.0", "syntaxerror" }, { "5.1", "syntaxerror" }, { "5.2", "syntaxerror" },
		{ "5.3", "toomanyconn" }, { "5.4", "syntaxerror" }, { "5.5", "syntaxerror" },
		{ "6.0", "contenterror" }, { "6.1", "contenterror" }, { "6.2", "contenterror" },
		{ "6.3", "contenterror" }, { "6.4", "contenterror" }, { "6.5", "contenterror" },
		{ "7.0", "securityerror" }, { "7.1", "rejected" }, { "7.2", "securityerror" },
		{ "7.3", "securityerror" }, { "7.4", "securityerror" }, { "7.5", "securityerror" },
		{ "7.6", "securityerror" }, { "7.7", "securityerror" }, { "7.8", "securityerror" },
		{ "7.9", "securityerror" }, { "7.13", "suspend" }, { "7.14", "securityerror" },
		{ "7.15", "securityerror" }, { "7.20", "authfailure" }, { "7.21", "authfailure" },
		{ "7.22", "authfailure" }, { "7.23", "authfailure" }, { "7.24", "authfailure" },
		{ "7.25", "requireptr" }, { "7.26", "authfailure" }, { "7.27", "notaccept" },
	};

	if (!st[0] || !st[1])
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(codes); i++)
		if (!strcmp(st + 2, codes[i].code))
			return codes[i].reason;
	return NULL;
}

/*
 * Reasons that say the sending set-up is at fault (reputation, content,
 * authentication, rate, relaying), not the address: they never count
 * against a subscriber.
 */
static int reason_blames_sender(const char *reason)
{
	static const char *const blame[] = {
		"blocked", "spamdetected", "policyviolation", "securityerror", "authfailure",
		"norelaying", "requireptr", "badreputation", "virusdetected", "notcompliantrfc",
		"toomanyconn", "speeding",
	};

	for (size_t i = 0; i < ARRAY_SIZE(blame); i++)
		if (!strcmp(reason, blame[i]))
			return 1;
	return 0;
}


/*
 * Codes precise about something other than the address: the mailbox's
 * state (x.2.x), the message (x.3.4, x.6.x), security and policy (x.7.x),
 * the sender's address (x.1.7, x.1.8).
 */
static int status_outweighs(const char *st)
{
	if (!st[0] || st[1] != '.')
		return 0;
	return !strncmp(st + 2, "2.", 2) || !strncmp(st + 2, "6.", 2) || !strncmp(st + 2, "7.", 2) ||
	       !strcmp(st + 2, "3.4") || !strcmp(st + 2, "1.7") || !strcmp(st + 2, "1.8");
}

/*
 * "550 : User unknown", "550 user unknown": the refusal names no address,
 * as filters answer; a server refusing a recipient names it.
 */
static int names_no_address(const char *d)
{
	const char *p = d ? strstr(d, " : ") : NULL;

	return !d || (p && p - d <= 5) || !strchr(d, '@');
}

/*
 * What some systems write instead of an RFC 3463 code, as precise and
 * documented as one: Exchange 2000/2003's "(000C05A6) Unknown Recipient",
 * Exchange Online's directory-based edge blocking ("Recipient address
 * rejected: Access denied": no such recipient in the directory), Lotus
 * Notes / Domino's directory look-up.  They all mean the address does
 * not exist.
 */
static int vendor_code(const char *d)
{
	static const char *const codes[] = {
		"(000c05a6)", "recipient address rejected: access denied",
		"not listed in domino directory", "not listed in public name & address book",
	};

	for (size_t i = 0; d && i < ARRAY_SIZE(codes); i++)
		if (bounce_memcasemem(d, strlen(d), codes[i]))
			return 1;
	return 0;
}

enum smtp_stage { STAGE_UNKNOWN, STAGE_MAIL, STAGE_RCPT, STAGE_DATA };

/*
 * Which SMTP command the server refused, as Postfix ("in reply to RCPT TO
 * command"), Exim ("after RCPT TO:") and Sendmail's transcript (">>> DATA")
 * write it.  RFC 5321 section 3.3: recipients are accepted or refused at
 * RCPT; a refusal after DATA is about the message, whatever its words.
 */
static enum smtp_stage stage_in(const char *s, size_t n)
{
	static const struct { const char *words; enum smtp_stage stage; } stages[] = {
		{ "in reply to rcpt to", STAGE_RCPT }, { "after rcpt to", STAGE_RCPT }, { ">>> rcpt to", STAGE_RCPT },
		{ "in reply to end of data", STAGE_DATA }, { "after end of data", STAGE_DATA },
		{ "in reply to data", STAGE_DATA }, { "after data", STAGE_DATA }, { ">>> data", STAGE_DATA },
		{ "in reply to mail from", STAGE_MAIL }, { "after mail from", STAGE_MAIL }, { ">>> mail from", STAGE_MAIL },
	};
	enum smtp_stage found = STAGE_UNKNOWN;

	if (!s)
		return STAGE_UNKNOWN;
	for (size_t i = 0; i < ARRAY_SIZE(stages); i++)
		if (bounce_memcasemem(s, n, stages[i].words)) {
			/* Two stages named: say nothing rather than guess. */
			if (found && found != stages[i].stage)
				return STAGE_UNKNOWN;
			found = stages[i].stage;
		}
	return found;
}

/*
 * Words that say outright the account or domain does not exist, which a
 * content filter does not say: believed even after DATA.  "Unknown user"
 * is not among them (filters answer so).
 */
static int explicit_absence(const char *d, size_t n)
{
	static const char *const words[] = {
		"doesn't have a", "does not have an account", "invalid recipient", "destinataire invalide",
		"account does not exist", "address does not exist", "does not exist",
	};

	if (!d)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (bounce_memcasemem(d, n, words[i]))
			return 1;
	return 0;
}

static int hard_reason(const char *reason)
{
	return !strcmp(reason, "userunknown") || !strcmp(reason, "hostunknown") ||
	       !strcmp(reason, "hasmoved") || !strcmp(reason, "notaccept");
}

/*
 * Words in the report's own text that say the address exists (its account
 * is disabled, its mailbox full): when they are there, "user unknown"
 * elsewhere in the report is not believed.
 */
static int text_says_exists(const char *s, size_t n)
{
	static const char *const words[] = {
		"account is disabled", "account has been disabled", "mailbox is full", "over quota",
		"quota exceeded", "account is suspended", "account has been suspended",
		"not enough disk space", "not enough storage", "insufficient disk",
	};

	if (!s)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (bounce_memcasemem(s, n, words[i]))
			return 1;
	return 0;
}

void bounce_reason_classify(struct bounce_recipient *r, const char *extra, size_t extralen)
{
	enum bounce_kind said = r->kind;
	const char *diag = r->diagnostic;
	size_t dlen = diag ? strlen(diag) : 0;
	const char *words, *coded;
	enum smtp_stage stage;
	char st[16];
	int permanent, temporary, cls, weak;

	/*
	 * The remote server's own code, in its words, is better evidence than
	 * the code the reporting MTA derived (Sendmail writes Status: 5.1.1
	 * over a "550 5.7.1 ... blacklisted").  When neither says anything
	 * precise, the report's text may (Sendmail's transcript).
	 */
	if (diag && bounce_find_status(diag, dlen, st) && !generic_status(st))
		memcpy(r->status, st, sizeof(st));
	else if (diag && !r->status[0] && bounce_find_status(diag, dlen, st))
		memcpy(r->status, st, sizeof(st));
	if (generic_status(r->status) && extra && bounce_find_specific_status(extra, extralen, st) &&
	    (r->status[0] ? st[0] == r->status[0] : st[0] != '2'))
		memcpy(r->status, st, sizeof(st));
	if (!r->reply_code && diag)
		r->reply_code = bounce_find_reply_code(diag, dlen);
	cls = r->status[0] ? r->status[0] - '0' : r->reply_code / 100;
	if (said == BOUNCE_DELIVERED || (said == BOUNCE_UNKNOWN && cls == 2)) {
		r->reason = "delivered";
		r->kind = BOUNCE_DELIVERED;
		return;
	}
	words = reason_from_words(diag, dlen);
	coded = vendor_code(diag) ? "userunknown" : reason_from_status(r->status);
	if (vendor_code(diag))
		words = coded;
	if (!words && !diag && extra)
		words = reason_from_words(extra, extralen);
	stage = stage_in(diag, dlen);
	if (!stage)
		stage = stage_in(extra, extralen);
	r->reason = words ? words : coded ? coded : "undefined";
	/*
	 * A precise code that is not about the address (5.2.x mailbox, 5.6.x
	 * content, 5.7.x policy...) outweighs vague words about it; the
	 * sender's address (x.1.7, x.1.8) is never the recipient's fault.
	 */
	if (words && hard_reason(words) && coded && status_outweighs(r->status) && !vendor_code(diag))
		r->reason = coded;
	/* "Rejected" is the vaguest of words; a precise code about the address says more. */
	if (words && !strcmp(words, "rejected") && coded && hard_reason(coded) && r->status[2] == '1')
		r->reason = coded;
	if (stage == STAGE_MAIL && hard_reason(r->reason))
		r->reason = "rejected";
	if (stage == STAGE_DATA && hard_reason(r->reason) && !(coded && hard_reason(coded)) &&
	    !explicit_absence(diag, dlen))
		r->reason = "filtered";
	if (hard_reason(r->reason) && text_says_exists(extra, extralen))
		r->reason = "suspend";
	/*
	 * Words alone ("unknown user", no code saying the same) are believed
	 * only when the refusal came at RCPT, or carries both a permanent
	 * status and a 5xx reply that names the address: filters and
	 * appliances that refuse a message after DATA use the same words.
	 */
	weak = !strcmp(r->reason, "userunknown") && !(coded && hard_reason(coded)) && stage != STAGE_RCPT &&
	       !vendor_code(diag) &&
	       (r->status[0] != '5' || r->reply_code / 100 != 5 ||
		(names_no_address(diag) && !explicit_absence(diag, dlen)));
	r->blames_sender = reason_blames_sender(r->reason);
	if (said == BOUNCE_DELAYED) {
		r->kind = BOUNCE_DELAYED;
		return;
	}
	temporary = r->status[0] == '4' || (!r->status[0] && r->reply_code / 100 == 4);
	permanent = !temporary && (r->status[0] == '5' || r->reply_code / 100 == 5 || said == BOUNCE_SOFT);
	if (!permanent && !temporary && !words && !coded) {
		r->kind = BOUNCE_UNKNOWN;
		return;
	}
	/*
	 * The one rule for hard: a permanent failure whose cause is the
	 * address itself (it does not exist, its domain does not, it moved,
	 * or its domain accepts no mail and said so with a 5xx).  Everything
	 * else, and anything that blames the sender, is soft: suppressing a
	 * reachable subscriber is the costly mistake.
	 */
	r->kind = BOUNCE_SOFT;
	if (!permanent || r->blames_sender || weak)
		return;
	/* The sending MTA's own DNS answer, but one it means to retry. */
	if (!strcmp(r->reason, "hostunknown") && !coded && diag && bounce_memcasemem(diag, dlen, "try again"))
		return;
	if (!strcmp(r->reason, "userunknown") || !strcmp(r->reason, "hostunknown") ||
	    !strcmp(r->reason, "hasmoved"))
		r->kind = BOUNCE_HARD;
	else if (!strcmp(r->reason, "notaccept") && (r->status[0] == '5' || r->reply_code / 100 == 5))
		r->kind = BOUNCE_HARD;
}
