/*
 * The HTTP side of `newsbeat serve`, over libmicrohttpd (the only file that
 * calls it): connection handling, limits, body
 * reading, form parsing (MHD's post processor does both application/x-www-form-urlencoded
 * and multipart/form-data, RFC 8058 §3.1), routing, and the headers every
 * response carries.
 *
 * Robustness comes from MHD's options: internal epoll threads (no
 * FD_SETSIZE limit, so 1,000+ concurrent connections are fine), an
 * inactivity timeout for slow clients, a connection limit below the file
 * descriptor limit, strict request parsing (malformed → 400), and our own
 * cap on request bodies (→ 413).
 */
#include "base/common.h"
#include "base/config.h"
#include "serve/serve.h"
#include "serve/serve_internal.h"
#include "deliver/transport.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <microhttpd.h>

struct serve {
	struct serve_app app;
	struct MHD_Daemon *daemon;
	unsigned port;
};

/* Per-request state, from the first callback to MHD's "completed" notice. */
struct request {
	struct strbuf body;
	size_t discarded;	/* bytes beyond SERVE_BODY_MAX thrown away */
	int started;		/* on_request has seen the headers */
	int has_nul;		/* the raw URI holds an encoded NUL ("%00") */
};

/* Beyond the cap we drain a little (so the 413 can be read), then hang up. */
#define DISCARD_MAX (64 * 1024)

/* Pages: nothing but our own stylesheet and forms posting to ourselves. */
static const char csp_page[] =
	"default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
/*
 * Archive pages come from templates the editors may change: allow inline
 * style attributes and images from elsewhere, still no scripts from outside.
 */
static const char csp_archive[] =
	"default-src 'self'; img-src 'self' https: data:; style-src 'self' 'unsafe-inline'; "
	"frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

void serve_reply_init(struct serve_reply *r)
{
	memset(r, 0, sizeof(*r));
	strbuf_init(&r->body, 0);
	r->fd = -1;
	r->status = 500;
	r->content_type = "text/html; charset=utf-8";
}

void serve_reply_release(struct serve_reply *r)
{
	strbuf_release(&r->body);
	free(r->location);
	r->location = NULL;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

static void add_header(struct MHD_Response *resp, const char *name, const char *value)
{
	if (MHD_add_response_header(resp, name, value) != MHD_YES)
		warning("http: cannot add header '%s'", name);
}

static enum MHD_Result queue_reply(struct MHD_Connection *c, struct serve_reply *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char num[32];

	if (r->fd >= 0) {
		resp = MHD_create_response_from_fd64(r->size, r->fd);
		if (resp)
			r->fd = -1;	/* the response closes it */
	} else {
		size_t len;
		char *buf = strbuf_detach(&r->body, &len);

		resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
		if (!resp)
			free(buf);
	}
	if (!resp)
		return MHD_NO;
	add_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	add_header(resp, "X-Content-Type-Options", "nosniff");
	add_header(resp, "Referrer-Policy", "no-referrer");
	add_header(resp, "X-Frame-Options", "DENY");
	add_header(resp, "Content-Security-Policy", r->cacheable ? csp_archive : csp_page);
	/* Pages carry tokens and addresses: never stored by a cache. */
	add_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
		   r->cacheable ? "public, max-age=300" : "no-store");
	if (r->location)
		add_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
	if (r->allow)
		add_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (r->retry_after) {
		snprintf(num, sizeof(num), "%u", r->retry_after);
		add_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, num);
	}
	ret = MHD_queue_response(c, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_message(struct serve *s, struct MHD_Connection *c, int status,
				     const char *title, const char *message)
{
	struct serve_reply r;
	enum MHD_Result ret;

	serve_reply_init(&r);
	serve_pages_message(s->app.pages, &r, status, title, message);
	ret = queue_reply(c, &r);
	serve_reply_release(&r);
	return ret;
}

/*
 * The client's address for rate limiting.  Behind the reverse proxy every
 * peer is loopback, so from a loopback peer we take X-Real-IP (set by the
 * proxy, see the nginx snippet in README.md); from anyone else the header is ignored.
 */
static void client_key(struct MHD_Connection *c, char *out, size_t outlen)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	const char *real;
	int loopback = 0;

	snprintf(out, outlen, "?");
	if (!sa)
		return;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, out, (socklen_t)outlen);
		loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, out, (socklen_t)outlen);
		loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	real = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Real-IP");
	if (loopback && real && *real && strlen(real) < outlen &&
	    strspn(real, "0123456789abcdefABCDEF.:") == strlen(real))
		snprintf(out, outlen, "%s", real);
}

static enum MHD_Result form_field(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *filename, const char *content_type,
				  const char *transfer_encoding, const char *data,
				  uint64_t off, size_t size)
{
	(void)kind;
	(void)filename;
	(void)content_type;
	(void)transfer_encoding;
	serve_form_add(cls, key, data, (size_t)off, size);
	return MHD_YES;
}

/*
 * Parse the buffered body.  0, or the HTTP status to answer with: 415 for
 * a body that is not a form, 400 for a malformed one.
 */
static int parse_form(struct MHD_Connection *c, struct request *rq, struct serve_form *f)
{
	struct MHD_PostProcessor *pp = MHD_create_post_processor(c, 1024, form_field, f);
	int ok;

	if (!pp)
		return 415;
	ok = MHD_post_process(pp, rq->body.buf, rq->body.len) == MHD_YES;
	/* Destroying flushes the last urlencoded value; MHD_NO: truncated multipart. */
	if (MHD_destroy_post_processor(pp) != MHD_YES)
		ok = 0;
	return ok ? 0 : 400;
}

static enum serve_method method_of(const char *m)
{
	if (!strcmp(m, MHD_HTTP_METHOD_GET))
		return SERVE_GET;
	if (!strcmp(m, MHD_HTTP_METHOD_HEAD))
		return SERVE_HEAD;
	if (!strcmp(m, MHD_HTTP_METHOD_POST))
		return SERVE_POST;
	return SERVE_OTHER;
}

static enum MHD_Result dispatch(struct serve *s, struct MHD_Connection *c, const char *url,
				enum serve_method m, struct request *rq)
{
	struct serve_app *app = &s->app;
	struct serve_form form = { 0 };
	struct serve_reply r;
	enum MHD_Result ret;
	const char *token = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "t");
	int dynamic = !strcmp(url, "/unsubscribe") || !strcmp(url, "/subscribe") ||
		!strcmp(url, "/confirm");

	if (dynamic && m == SERVE_POST) {
		int status = parse_form(c, rq, &form);

		if (status == 415) {
			serve_form_release(&form);
			return reply_message(s, c, 415, "Unsupported form encoding",
					     "Send the form as application/x-www-form-urlencoded "
					     "or multipart/form-data.");
		}
		if (status) {
			serve_form_release(&form);
			return reply_message(s, c, 400, "Bad request", "The form data was malformed.");
		}
	}
	serve_reply_init(&r);
	if (!strcmp(url, "/unsubscribe")) {
		serve_unsubscribe(app, m, token, &form, &r);
	} else if (!strcmp(url, "/confirm")) {
		serve_confirm(app, m, token, &form, &r);
	} else if (!strcmp(url, "/subscribe")) {
		char client[INET6_ADDRSTRLEN + 8];

		client_key(c, client, sizeof(client));
		serve_subscribe(app, m, client, &form, &r);
	} else if (m != SERVE_GET && m != SERVE_HEAD) {
		serve_pages_message(app->pages, &r, 405, "Method not allowed",
				    "The archive can only be read.");
		r.allow = "GET, HEAD";
	} else if (!strcmp(url, "/serve.css")) {
		const struct strbuf *css = serve_pages_css(app->pages);

		r.status = 200;
		r.content_type = "text/css; charset=utf-8";
		strbuf_addbuf(&r.body, css);
		r.cacheable = 1;
	} else if (!strcmp(url, "/serve-icon.svg") && serve_pages_icon(app->pages)->len) {
		r.status = 200;
		r.content_type = "image/svg+xml";
		strbuf_addbuf(&r.body, serve_pages_icon(app->pages));
		r.cacheable = 1;
	} else {
		serve_static(app->archive_root, url, &r);
		if (r.status == 404)
			serve_pages_message(app->pages, &r, 404, "Page not found",
					    "There is nothing at this address. "
					    "The archive lists every issue.");
	}
	ret = queue_reply(c, &r);
	serve_reply_release(&r);
	serve_form_release(&form);
	return ret;
}

static struct request *new_request(const char *uri)
{
	struct request *rq = xcalloc(1, sizeof(*rq));

	strbuf_init(&rq->body, 0);
	rq->has_nul = uri && strcasestr(uri, "%00") != NULL;
	return rq;
}

/*
 * Called with the raw request URI before MHD percent-decodes it.  MHD hands
 * on_request the decoded path as a C string, so "/index.html%00.png" would
 * silently become "/index.html" and "t=TOKEN%00junk" would become TOKEN:
 * we remember the NUL here and refuse the request (400) once headers are in.
 */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	(void)cls;
	(void)c;
	return new_request(uri);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	struct serve *s = cls;
	struct request *rq = *req_cls;

	(void)version;
	if (!rq)	/* on_uri always makes one; be safe if MHD ever does not */
		*req_cls = rq = new_request(NULL);
	if (!rq->started) {
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);

		rq->started = 1;
		if (rq->has_nul)
			return reply_message(s, c, 400, "Bad request",
					     "The address contains a NUL character.");
		/* Refuse an announced oversized body before reading any of it. */
		if (cl && strtoull(cl, NULL, 10) > SERVE_BODY_MAX)
			return reply_message(s, c, 413, "Request too large",
					     "The form data was larger than this server accepts.");
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;

		if (rq->discarded || rq->body.len + n > SERVE_BODY_MAX) {
			rq->discarded += n;
			if (rq->discarded > DISCARD_MAX)
				return MHD_NO;	/* hang up on an endless chunked body */
		} else {
			strbuf_add(&rq->body, upload_data, n);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (rq->discarded)
		return reply_message(s, c, 413, "Request too large",
				     "The form data was larger than this server accepts.");
	return dispatch(s, c, url, method_of(method), rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *req_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (!rq)
		return;
	strbuf_release(&rq->body);
	free(rq);
	*req_cls = NULL;
}

__attribute__((format(printf, 2, 0)))
static void on_log(void *cls, const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;

	(void)cls;
	strbuf_vaddf(&sb, fmt, ap);
	strbuf_rtrim(&sb);
	warning("http: %s", sb.buf);
	strbuf_release(&sb);
}

/*
 * "host:port" or "[v6]:port" → one resolved address.  0, or -1 after
 * error().
 */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct addrinfo hints, *res = NULL;
	const char *colon, *host_start = listen;
	size_t host_len;
	char host[256], port[16];
	int rc;

	if (*listen == '[') {
		const char *end = strchr(listen, ']');

		if (!end || end[1] != ':')
			goto bad;
		host_start = listen + 1;
		host_len = (size_t)(end - host_start);
		colon = end + 1;
	} else {
		colon = strrchr(listen, ':');
		if (!colon)
			goto bad;
		host_len = (size_t)(colon - listen);
	}
	if (host_len >= sizeof(host) || strlen(colon + 1) >= sizeof(port) || !colon[1] ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) || atoi(colon + 1) > 65535)
		goto bad;
	memcpy(host, host_start, host_len);
	host[host_len] = '\0';
	snprintf(port, sizeof(port), "%s", colon + 1);

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(*host ? host : NULL, port, &hints, &res);
	if (rc)
		return error("listen address '%s': %s", listen, gai_strerror(rc));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
bad:
	return error("listen address '%s' is not HOST:PORT (e.g. 127.0.0.1:8080 or [::1]:8080)",
		     listen);
}

/* Raise the soft descriptor limit to the hard one; return what we may use. */
static unsigned fd_budget(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1u << 20)
		return 1u << 20;
	return (unsigned)rl.rlim_cur;
}

/* 1 if path exists and resolves to root or below it. */
static int is_inside(const char *root, const char *path)
{
	char real[PATH_MAX];
	size_t n = strlen(root);

	if (!realpath(path, real))
		return 0;
	return !strncmp(real, root, n) && (real[n] == '/' || !real[n]);
}

/*
 * The archive directory is served to anyone: refuse to start when a
 * private file would be among its files, e.g. with [paths] archive = .:
 * the subscriber database and the Maildir outbox (every address, every
 * message), the config (credentials, settings), the issues (drafts and
 * embargoed ones) and the templates.
 */
static int check_archive_exposure(const struct serve_app *app)
{
	const struct config *cfg = app->cfg;
	const struct {
		const char *path, *what, *key;
	} private[] = {
		{ cfg->database, "the database", "[paths] database" },
		{ cfg->outbox, "the outbox", "[paths] outbox" },
		{ cfg->file, "the config file", "-c CONFIG" },
		{ cfg->issues_dir, "the issues directory", "[paths] issues" },
		{ cfg->templates_dir, "the templates directory", "[paths] templates" },
	};
	size_t i;

	if (!app->archive_root)
		return 0;
	for (i = 0; i < ARRAY_SIZE(private); i++)
		if (*private[i].path && is_inside(app->archive_root, private[i].path))
			return error("%s '%s' is inside the archive directory '%s', which is "
				     "served to anyone: point [paths] archive at the directory "
				     "'newsbeat archive' builds (default: public), or move %s "
				     "out of it (%s)", private[i].what, private[i].path,
				     app->archive_root, private[i].what, private[i].key);
	return 0;
}

/* The mail thread's send function: a confirmation, ctx the app. */
static int send_confirmation(void *ctx, const char *email, const char *list)
{
	/*
	 * A confirmation that did not go out must not count against the
	 * address's interval: the page told the person to submit again.
	 */
	if (serve_send_confirmation(ctx, email, list) < 0) {
		serve_store_subscribe_unsent(ctx, email, list);
		return -1;
	}
	return 0;
}

struct serve *serve_start(const struct config *cfg, const struct serve_options *opt)
{
	struct serve *s;
	struct sockaddr_storage ss;
	socklen_t sslen;
	const union MHD_DaemonInfo *info;
	unsigned budget, limit, threads;
	char real[PATH_MAX];

	if (!opt->secret || !*opt->secret) {
		error("no secret for the tokens: set the environment variable '%s' "
		      "([serve] secret_env)", cfg->secret_env);
		return NULL;
	}
	if (parse_listen(opt->listen, &ss, &sslen) < 0)
		return NULL;

	s = xcalloc(1, sizeof(*s));
	s->app.cfg = cfg;
	s->app.secret = opt->secret;
	s->app.database = cfg->database;
	pthread_mutex_init(&s->app.store_lock, NULL);
	if (realpath(cfg->archive_dir, real))
		s->app.archive_root = xstrdup(real);
	else
		warning("archive directory '%s' not found: only the forms are served "
			"(run 'newsbeat archive')", cfg->archive_dir);
	if (!(s->app.pages = serve_pages_load(cfg)) || serve_store_open(&s->app) < 0 ||
	    check_archive_exposure(&s->app) < 0)
		goto fail;
	/*
	 * Check the mail settings now rather than at the first subscription,
	 * and let the transport initialise its library from this thread.
	 */
	{
		struct transport *t = transport_open(cfg);

		if (!t)
			goto fail;
		transport_close(t);
	}
	s->app.subscribe_rl = serve_ratelimit_new(opt->subscribe_rate ? opt->subscribe_rate : 5, 60);
	/* A backlog beyond this means the mail server is stuck: answer 503. */
	if (!(s->app.mailer = serve_mailer_start(send_confirmation, &s->app, 64)))
		goto fail;

	/* Leave room for the store, templates, the archive's files and logs. */
	budget = fd_budget();
	limit = opt->max_connections ? opt->max_connections : budget > 4096 ? 4000 : budget - 96;
	if (limit + 64 > budget)
		limit = budget > 128 ? budget - 64 : 64;
	threads = opt->threads ? opt->threads : 2;

	s->daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
		(ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
		0, NULL, NULL, on_request, s,
		MHD_OPTION_EXTERNAL_LOGGER, on_log, s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_LIMIT, limit,
		MHD_OPTION_CONNECTION_TIMEOUT, opt->timeout ? opt->timeout : 15u,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
		MHD_OPTION_STRICT_FOR_CLIENT, 1,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
		MHD_OPTION_END);
	if (!s->daemon) {
		error("cannot listen on '%s': %s", opt->listen,
		      errno ? strerror(errno) : "libmicrohttpd refused to start");
		goto fail;
	}
	info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : 0;
	return s;
fail:
	serve_stop(s);
	return NULL;
}

unsigned serve_port(const struct serve *s)
{
	return s->port;
}

void serve_stop(struct serve *s)
{
	if (!s)
		return;
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	/* After the daemon: no request can queue a mail any more. */
	serve_mailer_stop(s->app.mailer);
	serve_store_close(&s->app);
	serve_pages_free(s->app.pages);
	serve_ratelimit_free(s->app.subscribe_rl);
	pthread_mutex_destroy(&s->app.store_lock);
	free(s->app.archive_root);
	free(s);
}
