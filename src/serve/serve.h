#ifndef SERVE_H
#define SERVE_H
/*
 * `newsbeat serve`: the small web service behind the links in every
 * message — one-click unsubscribe (RFC 8058), subscribe with double opt-in,
 * and the static archive.  libmicrohttpd is included by serve.c only; the
 * rest of the service (serve_*.c, declared in serve_internal.h) works on plain
 * buffers so it can be tested without sockets.
 *
 * Meant to sit behind a reverse proxy (README: the nginx snippet); every link it
 * produces is relative so a path prefix on the proxy keeps working.
 */

struct config;
struct serve;

struct serve_options {
	const char *listen;	/* "127.0.0.1:8080", "[::1]:8080", "localhost:0" */
	const char *secret;	/* HMAC key for tokens; must be non-empty */
	unsigned timeout;	/* seconds of client inactivity before a connection is closed */
	unsigned max_connections; /* 0: derived from RLIMIT_NOFILE */
	unsigned threads;	/* polling threads; 0: 2 */
	unsigned subscribe_rate; /* subscribe POSTs per client per minute; 0: 5 */
};

/*
 * Open the store, load the page templates, bind and start serving on
 * background threads.  Returns NULL after error() (bad listen address,
 * port in use, missing templates, unreadable database).
 * The config must outlive the server.
 */
struct serve *serve_start(const struct config *cfg, const struct serve_options *opt);

/* The port actually bound (useful with port 0). */
unsigned serve_port(const struct serve *s);

/*
 * Stop accepting, finish or drop the connections in flight, close the
 * store and free everything.  NULL is fine.
 */
void serve_stop(struct serve *s);

#endif
