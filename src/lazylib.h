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

/* A member named like the function without its prefix (curl_easy_setopt
 * is a macro under gcc), typed as a pointer to it. */
#define LAZY_FN(member, fn) __typeof__(fn) *member

struct lazy_curl {
	LAZY_FN(global_init, curl_global_init);
	LAZY_FN(easy_init, curl_easy_init);
	LAZY_FN(easy_setopt, curl_easy_setopt);
	LAZY_FN(easy_perform, curl_easy_perform);
	LAZY_FN(easy_getinfo, curl_easy_getinfo);
	LAZY_FN(easy_cleanup, curl_easy_cleanup);
	LAZY_FN(easy_strerror, curl_easy_strerror);
	LAZY_FN(slist_append, curl_slist_append);
	LAZY_FN(slist_free_all, curl_slist_free_all);
	LAZY_FN(url, curl_url);
	LAZY_FN(url_set, curl_url_set);
	LAZY_FN(url_get, curl_url_get);
	LAZY_FN(url_cleanup, curl_url_cleanup);
	LAZY_FN(free, curl_free);
};

struct lazy_mhd {
	LAZY_FN(start_daemon, MHD_start_daemon);
	LAZY_FN(stop_daemon, MHD_stop_daemon);
	LAZY_FN(get_daemon_info, MHD_get_daemon_info);
	LAZY_FN(get_connection_info, MHD_get_connection_info);
	LAZY_FN(lookup_connection_value, MHD_lookup_connection_value);
	LAZY_FN(create_response_from_buffer, MHD_create_response_from_buffer);
	LAZY_FN(create_response_from_fd64, MHD_create_response_from_fd64);
	LAZY_FN(add_response_header, MHD_add_response_header);
	LAZY_FN(queue_response, MHD_queue_response);
	LAZY_FN(destroy_response, MHD_destroy_response);
	LAZY_FN(create_post_processor, MHD_create_post_processor);
	LAZY_FN(post_process, MHD_post_process);
	LAZY_FN(destroy_post_processor, MHD_destroy_post_processor);
};

#undef LAZY_FN

/* Filled by the loaders below; read only after one returned 0. */
extern struct lazy_curl lazy_curl;
extern struct lazy_mhd lazy_mhd;

/* Load libcurl (once).  0, or -1 after error(). */
int lazy_curl_load(void);
/* Load libmicrohttpd (once).  0, or -1 after error(). */
int lazy_mhd_load(void);

#endif
