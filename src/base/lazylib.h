#ifndef LAZYLIB_H
#define LAZYLIB_H
/*
 * Libraries that one command needs, loaded when it first needs them.
 *
 * libcurl (send over SMTP) and libmicrohttpd (serve) bring GnuTLS,
 * Kerberos, LDAP, SSH, HTTP/2 and two dozen more shared objects with
 * them.  Linked the usual way, the dynamic loader maps and relocates all
 * of them at every start: 14 of the 20 ms `newsbeat --version` took, a
 * third of an archive rebuild, paid by commands that never open a socket.
 *
 * So the binary is not linked against them.  The first use dlopen()s the
 * library by the soname the build linked against (the Makefile reads it
 * from the -dev package's .so) and fills a table with the functions
 * newsbeat calls; the code calls through the table.  Types, constants and
 * the functions' prototypes are still the libraries' own headers'
 * (__typeof__), so a mismatch does not compile.  What is lost is only
 * curl's gcc type check of curl_easy_setopt's third argument.
 *
 * Both loaders are thread-safe and load once; after a failure every call
 * reports it again through error(), naming the library and the Debian
 * package to install.
 */
#include <curl/curl.h>
#include <microhttpd.h>

/*
 * The functions newsbeat calls, each once: X(member, function).  The
 * tables below and lazylib.c's symbol lists are made from these.
 */
#define LAZY_CURL_FUNCTIONS(X) \
	X(global_init, curl_global_init) \
	X(easy_init, curl_easy_init) \
	X(easy_setopt, curl_easy_setopt) \
	X(easy_perform, curl_easy_perform) \
	X(easy_getinfo, curl_easy_getinfo) \
	X(easy_cleanup, curl_easy_cleanup) \
	X(easy_strerror, curl_easy_strerror) \
	X(slist_append, curl_slist_append) \
	X(slist_free_all, curl_slist_free_all) \
	X(url, curl_url) \
	X(url_set, curl_url_set) \
	X(url_get, curl_url_get) \
	X(url_cleanup, curl_url_cleanup) \
	X(free, curl_free)

#define LAZY_MHD_FUNCTIONS(X) \
	X(start_daemon, MHD_start_daemon) \
	X(stop_daemon, MHD_stop_daemon) \
	X(get_daemon_info, MHD_get_daemon_info) \
	X(get_connection_info, MHD_get_connection_info) \
	X(lookup_connection_value, MHD_lookup_connection_value) \
	X(create_response_from_buffer, MHD_create_response_from_buffer) \
	X(create_response_from_fd64, MHD_create_response_from_fd64) \
	X(add_response_header, MHD_add_response_header) \
	X(queue_response, MHD_queue_response) \
	X(destroy_response, MHD_destroy_response) \
	X(create_post_processor, MHD_create_post_processor) \
	X(post_process, MHD_post_process) \
	X(destroy_post_processor, MHD_destroy_post_processor)

/* A member named like the function without its prefix (curl_easy_setopt
 * is a macro under gcc), typed as a pointer to it. */
#define LAZY_MEMBER(member, fn) __typeof__(fn) *member;
struct lazy_curl {
	LAZY_CURL_FUNCTIONS(LAZY_MEMBER)
};
struct lazy_mhd {
	LAZY_MHD_FUNCTIONS(LAZY_MEMBER)
};
#undef LAZY_MEMBER

/* Filled by the loaders below; read only after one returned 0. */
extern struct lazy_curl lazy_curl;
extern struct lazy_mhd lazy_mhd;

/* Load libcurl (once).  0, or -1 after error(). */
int lazy_curl_load(void);
/* Load libmicrohttpd (once).  0, or -1 after error(). */
int lazy_mhd_load(void);

#endif
