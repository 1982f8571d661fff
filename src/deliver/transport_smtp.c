/*
 * SMTP submission over libcurl (the only file that includes curl.h).
 *
 * One easy handle per worker thread, reused across messages so that the
 * connection stays open (one EHLO per connection, one recipient per
 * transaction, QUIT at curl_easy_cleanup).  The multi interface is not
 * used: libcurl 7.88.1 blocks in it while waiting for the reply to the
 * final dot (curl issues #8555, #4015).
 *
 * Traps handled here (docs/design.md, "Facts about the libraries"):
 *  - MAIL FROM / RCPT TO are copied verbatim by libcurl: transport.c
 *    refuses CR, LF and friends before we get here.
 *  - libcurl dot-stuffs only after CRLF: transport.c refuses bare LF/CR;
 *    CURLOPT_CRLF stays off (it would rewrite what compose produced).
 *  - CURLOPT_MAIL_RCPT_ALLLOWFAILS hides 4xx replies: never set.
 *  - After an error CURLINFO_RESPONSE_CODE may be stale (a 354 after the
 *    connection dropped following the final dot): the phase is tracked
 *    from the commands libcurl sends (debug callback) and the reply is
 *    classified by code AND phase.
 *  - After a timeout (e.g. waiting for the reply to the final dot) 7.88.1
 *    keeps the connection for the next message: the late reply is then
 *    read as the reply to the next MAIL FROM and every reply after it is
 *    one step behind.  So after any failed transfer the connection is
 *    shut down and the handle replaced: the next message starts afresh.
 */
#include "base/common.h"
#include "base/clock.h"
#include "base/config.h"
#include "base/host.h"
#include "deliver/transport_internal.h"

#include <curl/curl.h>
#include <pthread.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

enum smtp_phase {
	PHASE_CONNECT,		/* nothing sent yet: greeting, TLS handshake */
	PHASE_HELLO,		/* EHLO / HELO / STARTTLS / AUTH */
	PHASE_MAIL,		/* MAIL FROM sent */
	PHASE_RCPT,		/* RCPT TO sent */
	PHASE_DATA,		/* DATA sent, waiting for 354 */
	PHASE_BODY,		/* sending the message */
	PHASE_DOT,		/* whole message and final dot handed to the socket */
};

static const char *const phase_names[] = {
	"connect", "EHLO", "MAIL FROM", "RCPT TO", "DATA", "message body", "final dot",
};

struct smtp {
	struct transport base;
	CURL *curl;
	curl_socket_t sock;	/* the connection's socket, CURL_SOCKET_BAD when closed */
	/* what a new handle is set up with (smtp_handle) */
	char *url;
	long use_ssl;
	char *ca_file, *username, *password;
	long timeout;
	char *from_addr;	/* envelope sender of the last message */
	char *from_cmd;		/* "<from_addr>" as given to CURLOPT_MAIL_FROM */
	/* per message */
	const char *msg;
	size_t len, off;
	enum smtp_phase phase;
	double ehlo_sent;	/* when the first EHLO of this send went out; 0 none */
	double rtt;		/* the EHLO round trip measured in this send; 0 none */
	char last_reply[512];	/* the last reply line the server sent */
	char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result;

static void curl_init_once(void)
{
	curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t smtp_read(char *buf, size_t size, size_t nmemb, void *data)
{
	struct smtp *s = data;
	size_t n = size * nmemb;

	if (n > s->len - s->off)
		n = s->len - s->off;
	memcpy(buf, s->msg + s->off, n);
	s->off += n;
	/*
	 * The last byte is in libcurl's hands: it sends the end of data
	 * (CRLF.CRLF) without asking again when it knows the size, so EOF
	 * cannot be the signal (a 20 KB message never saw it, and a drop
	 * after its final dot passed for a drop in the body).
	 */
	if (s->off == s->len)
		s->phase = PHASE_DOT;
	return n;
}

static int code_from_reply(const char *r)
{
	if (r[0] >= '2' && r[0] <= '5' && r[1] >= '0' && r[1] <= '9' &&
	    r[2] >= '0' && r[2] <= '9' && (r[3] == ' ' || r[3] == '-' || !r[3]))
		return (r[0] - '0') * 100 + (r[1] - '0') * 10 + (r[2] - '0');
	return 0;
}

static void remember_reply(struct smtp *s, const char *data, size_t size)
{
	size_t n = 0;

	/*
	 * After a failure reply libcurl ends the session (QUIT, "221 Bye"):
	 * the failure is the reply that matters, so it is not overwritten.
	 */
	if (code_from_reply(s->last_reply) >= 400)
		return;
	/* A multi-line reply arrives one line per callback; keep the last one. */
	while (n < size && n < sizeof(s->last_reply) - 1 && data[n] != '\r' && data[n] != '\n') {
		unsigned char c = (unsigned char)data[n];

		s->last_reply[n] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
		n++;
	}
	s->last_reply[n] = '\0';
}

static int smtp_debug(CURL *h, curl_infotype type, char *data, size_t size, void *ptr)
{
	struct smtp *s = ptr;

	(void)h;
	/*
	 * The EHLO exchange is the relay's round trip with the least server
	 * work in it (no queue file, no lookups): what the sender reports.
	 */
	if (type == CURLINFO_HEADER_OUT && size >= 4 && !strncasecmp(data, "EHLO", 4) &&
	    s->rtt == 0 && s->ehlo_sent == 0)
		s->ehlo_sent = clock_monotonic();
	else if (type == CURLINFO_HEADER_IN && s->ehlo_sent > 0 && s->rtt == 0)
		s->rtt = clock_monotonic() - s->ehlo_sent;
	if (type == CURLINFO_HEADER_OUT) {
		if (size >= 4 && !strncasecmp(data, "MAIL", 4))
			s->phase = PHASE_MAIL;
		else if (size >= 4 && !strncasecmp(data, "RCPT", 4))
			s->phase = PHASE_RCPT;
		else if (size >= 4 && !strncasecmp(data, "DATA", 4))
			s->phase = PHASE_DATA;
		else if (size >= 4 && (!strncasecmp(data, "EHLO", 4) || !strncasecmp(data, "HELO", 4) ||
				       !strncasecmp(data, "AUTH", 4) || !strncasecmp(data, "STAR", 4)))
			s->phase = PHASE_HELLO;
	} else if (type == CURLINFO_HEADER_IN) {
		remember_reply(s, data, size);
		if (s->phase == PHASE_DATA && size >= 3 && !strncmp(data, "354", 3))
			s->phase = PHASE_BODY;
	}
	return 0;
}

/* Socket callbacks: they only keep track of the connection's socket. */
static int smtp_sockopt(void *data, curl_socket_t fd, curlsocktype purpose)
{
	struct smtp *s = data;

	if (purpose == CURLSOCKTYPE_IPCXN)
		s->sock = fd;
	return CURL_SOCKOPT_OK;
}

static int smtp_closesocket(void *data, curl_socket_t fd)
{
	struct smtp *s = data;

	if (fd == s->sock)
		s->sock = CURL_SOCKET_BAD;
	return close(fd);
}

/* A new easy handle with every option; 0, or -1 (out of memory). */
static int smtp_handle(struct smtp *s)
{
	CURL *h = curl_easy_init();

	if (!h)
		return -1;
	s->curl = h;
	s->sock = CURL_SOCKET_BAD;
	/* The envelope sender goes into the new handle with the next message. */
	free(s->from_addr);
	s->from_addr = NULL;
	curl_easy_setopt(h, CURLOPT_URL, s->url);
	curl_easy_setopt(h, CURLOPT_USE_SSL, s->use_ssl);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (s->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, s->ca_file);
	if (s->username) {
		curl_easy_setopt(h, CURLOPT_USERNAME, s->username);
		curl_easy_setopt(h, CURLOPT_PASSWORD, s->password);
	}
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, smtp_read);
	curl_easy_setopt(h, CURLOPT_READDATA, s);
	curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 65536L);
	/* Debug callback: phase tracking and the server's reply text. */
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, smtp_debug);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, s);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, smtp_sockopt);
	curl_easy_setopt(h, CURLOPT_SOCKOPTDATA, s);
	curl_easy_setopt(h, CURLOPT_CLOSESOCKETFUNCTION, smtp_closesocket);
	curl_easy_setopt(h, CURLOPT_CLOSESOCKETDATA, s);
	/* Worker threads: no SIGALRM-based DNS timeouts. */
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, s->timeout);
	curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT, s->timeout);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, s->timeout);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	return 0;
}

/*
 * After a failed transfer the connection is in an unknown state (a reply
 * may still be on its way): shut it down, so that the QUIT curl sends at
 * cleanup fails at once instead of waiting out the timeout, and replace
 * the handle.
 */
static void smtp_drop_connection(struct smtp *s)
{
	if (s->sock != CURL_SOCKET_BAD)
		shutdown(s->sock, SHUT_RDWR);
	curl_easy_cleanup(s->curl);
	s->curl = NULL;
	(void)smtp_handle(s);	/* on failure the next message reports it */
}

static int slow_down_code(int code)
{
	/* RFC 5321 4.2.3/4.3.2: service not available, local error, insufficient
	 * storage; RFC 3463/4954: 454 temporary (TLS/auth) failure. */
	return code == 421 || code == 451 || code == 452 || code == 454;
}


static void classify(struct smtp *s, CURLcode res, struct transport_status *st)
{
	long code = 0;
	int replied;
	const char *what = phase_names[s->phase];

	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	/*
	 * A reply counts only when the last line the server sent in this
	 * phase carries the code libcurl reports; otherwise the code is stale
	 * (e.g. the 354 left over when the connection dropped after the
	 * final dot) and the failure is a lost connection.
	 */
	replied = code >= 400 && code_from_reply(s->last_reply) == code;
	st->code = replied ? (int)code : 0;
	st->slow_down = replied && slow_down_code((int)code);

	if (res == CURLE_OK) {
		st->result = TRANSPORT_SENT;
		st->code = (int)code;
		transport_set_reply(st, "%s", s->last_reply);
		return;
	}
	switch (res) {
	case CURLE_LOGIN_DENIED:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_COULDNT_RESOLVE_HOST:
		/* Every message would fail the same way: stop the run. */
		st->result = TRANSPORT_FATAL;
		transport_set_reply(st, "%s: %s%s%s", what, s->errbuf[0] ? s->errbuf : curl_easy_strerror(res),
				    replied ? "; server said: " : "", replied ? s->last_reply : "");
		return;
	default:
		break;
	}
	if (replied && code >= 500) {
		/*
		 * 5xx to the greeting, EHLO or MAIL FROM concerns the sender,
		 * not this recipient: marking every recipient failed would be
		 * wrong, so stop.  5xx to RCPT, DATA or the message is about
		 * this recipient or message (RFC 5321 4.2.1).
		 */
		st->result = s->phase <= PHASE_MAIL ? TRANSPORT_FATAL : TRANSPORT_PERMFAIL;
		transport_set_reply(st, "%s (after %s)", s->last_reply, what);
		return;
	}
	if (s->phase <= PHASE_MAIL) {
		/*
		 * 4xx or no reply before RCPT TO (refused, down, busy, "too
		 * many connections"): the relay's trouble, not this
		 * recipient's, and every other recipient would meet it too.
		 */
		st->result = TRANSPORT_UNAVAILABLE;
		if (replied)
			transport_set_reply(st, "%s (after %s)", s->last_reply, what);
		else
			transport_set_reply(st, "%s: %s", what,
					    s->errbuf[0] ? s->errbuf : curl_easy_strerror(res));
		return;
	}
	if (replied) {
		st->result = TRANSPORT_TEMPFAIL;
		transport_set_reply(st, "%s (after %s)", s->last_reply, what);
		return;
	}
	/* No fresh reply: timeout, refused, or the connection went away. */
	/*
	 * Only a drop while waiting for the reply to the final dot is
	 * ambiguous (RFC 5321 4.1.1.4: the server may have taken
	 * responsibility); a failed send means the dot never got through.
	 */
	if (s->phase == PHASE_DOT && res != CURLE_SEND_ERROR) {
		st->result = TRANSPORT_AMBIGUOUS;
		transport_set_reply(st, "connection lost after the final dot, the message may have "
				    "been queued: %s", s->errbuf[0] ? s->errbuf : curl_easy_strerror(res));
		return;
	}
	st->result = TRANSPORT_TEMPFAIL;
	transport_set_reply(st, "%s: %s", what, s->errbuf[0] ? s->errbuf : curl_easy_strerror(res));
}

static void smtp_send(struct transport *t, const char *from, const char *rcpt,
		      const char *msg, size_t len, struct transport_status *st)
{
	struct smtp *s = (struct smtp *)t;
	struct curl_slist *rcpts = NULL;
	char path[260];
	CURLcode res;

	if (!s->curl && smtp_handle(s) < 0) {
		st->result = TRANSPORT_TEMPFAIL;
		transport_set_reply(st, "cannot create a libcurl handle");
		return;
	}
	if (!s->from_addr || strcmp(s->from_addr, from) != 0) {
		size_t n = strlen(from) + 3;

		free(s->from_addr);
		free(s->from_cmd);
		s->from_addr = xstrdup(from);
		s->from_cmd = xmalloc(n);
		snprintf(s->from_cmd, n, "<%s>", from);
		curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, s->from_cmd);
	}
	snprintf(path, sizeof(path), "<%s>", rcpt);
	rcpts = curl_slist_append(NULL, path);
	if (!rcpts) {
		st->result = TRANSPORT_TEMPFAIL;
		transport_set_reply(st, "out of memory");
		return;
	}
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	s->msg = msg;
	s->len = len;
	s->off = 0;
	s->phase = PHASE_CONNECT;
	s->ehlo_sent = s->rtt = 0;
	s->last_reply[0] = '\0';
	s->errbuf[0] = '\0';
	res = curl_easy_perform(s->curl);
	classify(s, res, st);
	st->rtt = s->rtt;
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(rcpts);
	s->msg = NULL;
	if (res != CURLE_OK)
		smtp_drop_connection(s);
}

static void smtp_close(struct transport *t)
{
	struct smtp *s = (struct smtp *)t;

	if (s->curl)
		curl_easy_cleanup(s->curl);	/* sends QUIT on a live connection */
	free(s->url);
	free(s->ca_file);
	free(s->username);
	if (s->password)
		explicit_bzero(s->password, strlen(s->password));
	free(s->password);
	free(s->from_addr);
	free(s->from_cmd);
	free(s);
}

static const struct transport_ops smtp_ops = {
	smtp_send, smtp_close, 0,
};

/* Split the URL; returns 0 and sets *scheme / *host (caller frees with curl_free). */
static int parse_url(const char *url, char **scheme, char **host, char **port)
{
	CURLU *u = curl_url();
	int r = -1;

	*scheme = *host = *port = NULL;
	if (!u)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, host, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_PORT, port, CURLU_DEFAULT_PORT) != CURLUE_OK)
		*port = NULL;
	r = 0;
out:
	curl_url_cleanup(u);
	return r;
}

struct transport *transport_smtp_open(const struct config *cfg)
{
	struct smtp *s;
	char *scheme, *host, *port;
	const char *password = config_smtp_password(cfg);
	const char *tlsdesc;
	long use_ssl;
	int loopback;

	pthread_once(&curl_once, curl_init_once);
	if (curl_init_result != CURLE_OK) {
		error("cannot initialise libcurl: %s", curl_easy_strerror(curl_init_result));
		return NULL;
	}
	if (strpbrk(cfg->smtp_url, "\r\n") || parse_url(cfg->smtp_url, &scheme, &host, &port) < 0) {
		error("[smtp] url '%s' is not a URL; write smtp://host:587 or smtps://host:465",
		      cfg->smtp_url);
		return NULL;
	}
	loopback = host_is_loopback(host);
	if (!strcasecmp(scheme, "smtps")) {
		use_ssl = CURLUSESSL_ALL;
		tlsdesc = "TLS";
	} else if (!strcasecmp(scheme, "smtp")) {
		if (cfg->tls == CONFIG_TLS_NONE) {
			use_ssl = CURLUSESSL_NONE;
			tlsdesc = "no TLS";
		} else if (loopback) {
			/* Loopback may go without TLS, but when the server offers
			 * STARTTLS it is used and its certificate verified. */
			use_ssl = CURLUSESSL_TRY;
			tlsdesc = "STARTTLS if offered";
		} else {
			use_ssl = CURLUSESSL_ALL;
			tlsdesc = "STARTTLS required";
		}
	} else {
		error("[smtp] url '%s': scheme must be smtp:// or smtps://", cfg->smtp_url);
		goto fail_url;
	}
	if (*cfg->smtp_username && use_ssl == CURLUSESSL_NONE && !loopback) {
		error("[smtp] tls = none with a username would send the password in clear to %s; "
		      "use smtps:// or STARTTLS (tls = required)", host);
		goto fail_url;
	}
	if (*cfg->smtp_username && !password) {
		error("[smtp] username is set but the environment variable %s (password_env) is not; "
		      "export it before sending", cfg->password_env);
		goto fail_url;
	}

	s = xcalloc(1, sizeof(*s));
	s->base.ops = &smtp_ops;
	s->url = xstrdup(cfg->smtp_url);
	s->use_ssl = use_ssl;
	s->ca_file = *cfg->ca_file ? xstrdup(cfg->ca_file) : NULL;
	if (*cfg->smtp_username) {
		s->username = xstrdup(cfg->smtp_username);
		s->password = xstrdup(password);
	}
	s->timeout = (long)cfg->timeout;
	snprintf(s->base.describe, sizeof(s->base.describe), "%s://%s:%s (%s)",
		 scheme, host, port ? port : "?", tlsdesc);
	if (smtp_handle(s) < 0) {
		error("cannot create a libcurl handle");
		smtp_close(&s->base);
		goto fail_url;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	return &s->base;
fail_url:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	return NULL;
}
