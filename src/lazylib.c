/*
 * dlopen() on first use for libcurl and libmicrohttpd (see lazylib.h).
 */
#include "common.h"
#include "lazylib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

/* The Makefile passes the sonames the -dev packages link to. */
#ifndef NEWSBEAT_CURL_SONAME
#define NEWSBEAT_CURL_SONAME "libcurl-gnutls.so.4"
#endif
#ifndef NEWSBEAT_MHD_SONAME
#define NEWSBEAT_MHD_SONAME "libmicrohttpd.so.12"
#endif

struct lazy_curl lazy_curl;
struct lazy_mhd lazy_mhd;

struct lazy_sym {
	const char *name;
	size_t offset;		/* of the pointer in the table */
};

struct lazy_lib {
	const char *soname, *package, *needed_for;
	const struct lazy_sym *syms;
	size_t nsyms;
	void *table;
	pthread_once_t once;
	char failure[512];	/* empty once loaded */
};

#define SYM(type, member, fn) { #fn, offsetof(struct type, member) }

static const struct lazy_sym curl_syms[] = {
	SYM(lazy_curl, global_init, curl_global_init),
	SYM(lazy_curl, easy_init, curl_easy_init),
	SYM(lazy_curl, easy_setopt, curl_easy_setopt),
	SYM(lazy_curl, easy_perform, curl_easy_perform),
	SYM(lazy_curl, easy_getinfo, curl_easy_getinfo),
	SYM(lazy_curl, easy_cleanup, curl_easy_cleanup),
	SYM(lazy_curl, easy_strerror, curl_easy_strerror),
	SYM(lazy_curl, slist_append, curl_slist_append),
	SYM(lazy_curl, slist_free_all, curl_slist_free_all),
	SYM(lazy_curl, url, curl_url),
	SYM(lazy_curl, url_set, curl_url_set),
	SYM(lazy_curl, url_get, curl_url_get),
	SYM(lazy_curl, url_cleanup, curl_url_cleanup),
	SYM(lazy_curl, free, curl_free),
};

static const struct lazy_sym mhd_syms[] = {
	SYM(lazy_mhd, start_daemon, MHD_start_daemon),
	SYM(lazy_mhd, stop_daemon, MHD_stop_daemon),
	SYM(lazy_mhd, get_daemon_info, MHD_get_daemon_info),
	SYM(lazy_mhd, get_connection_info, MHD_get_connection_info),
	SYM(lazy_mhd, lookup_connection_value, MHD_lookup_connection_value),
	SYM(lazy_mhd, create_response_from_buffer, MHD_create_response_from_buffer),
	SYM(lazy_mhd, create_response_from_fd64, MHD_create_response_from_fd64),
	SYM(lazy_mhd, add_response_header, MHD_add_response_header),
	SYM(lazy_mhd, queue_response, MHD_queue_response),
	SYM(lazy_mhd, destroy_response, MHD_destroy_response),
	SYM(lazy_mhd, create_post_processor, MHD_create_post_processor),
	SYM(lazy_mhd, post_process, MHD_post_process),
	SYM(lazy_mhd, destroy_post_processor, MHD_destroy_post_processor),
};

static struct lazy_lib curl_lib = {
	NEWSBEAT_CURL_SONAME, "libcurl3-gnutls", "to send over SMTP",
	curl_syms, sizeof(curl_syms) / sizeof(curl_syms[0]), &lazy_curl,
	PTHREAD_ONCE_INIT, ""
};

static struct lazy_lib mhd_lib = {
	NEWSBEAT_MHD_SONAME, "libmicrohttpd12", "to serve",
	mhd_syms, sizeof(mhd_syms) / sizeof(mhd_syms[0]), &lazy_mhd,
	PTHREAD_ONCE_INIT, ""
};

static void load(struct lazy_lib *lib)
{
	void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	size_t i;

	if (!h) {
		snprintf(lib->failure, sizeof(lib->failure),
			 "cannot load %s, which newsbeat needs %s: %s; install Debian's %s package",
			 lib->soname, lib->needed_for, dlerror(), lib->package);
		return;
	}
	for (i = 0; i < lib->nsyms; i++) {
		void *fn = dlsym(h, lib->syms[i].name);

		if (!fn) {
			snprintf(lib->failure, sizeof(lib->failure),
				 "%s has no %s (too old?), which newsbeat needs %s; install Debian 12's %s package",
				 lib->soname, lib->syms[i].name, lib->needed_for, lib->package);
			dlclose(h);
			return;
		}
		/* POSIX: a data pointer from dlsym converts to a function pointer. */
		memcpy((char *)lib->table + lib->syms[i].offset, &fn, sizeof(fn));
	}
	/* Never dlclose()d: the process keeps using it until exit. */
}

static void load_curl(void) { load(&curl_lib); }
static void load_mhd(void) { load(&mhd_lib); }

static int loaded(struct lazy_lib *lib, void (*once_fn)(void))
{
	pthread_once(&lib->once, once_fn);
	if (lib->failure[0]) {
		error("%s", lib->failure);
		return -1;
	}
	return 0;
}

int lazy_curl_load(void)
{
	return loaded(&curl_lib, load_curl);
}

int lazy_mhd_load(void)
{
	return loaded(&mhd_lib, load_mhd);
}
