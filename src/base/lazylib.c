/*
 * dlopen() on first use for libcurl and libmicrohttpd (see lazylib.h).
 */
#include "base/common.h"
#include "base/lazylib.h"

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

#define CURL_SYM(member, fn) { #fn, offsetof(struct lazy_curl, member) },
#define MHD_SYM(member, fn) { #fn, offsetof(struct lazy_mhd, member) },
static const struct lazy_sym curl_syms[] = { LAZY_CURL_FUNCTIONS(CURL_SYM) };
static const struct lazy_sym mhd_syms[] = { LAZY_MHD_FUNCTIONS(MHD_SYM) };

static struct lazy_lib curl_lib = {
	NEWSBEAT_CURL_SONAME, "libcurl3-gnutls", "to send over SMTP",
	curl_syms, ARRAY_SIZE(curl_syms), &lazy_curl,
	PTHREAD_ONCE_INIT, ""
};

static struct lazy_lib mhd_lib = {
	NEWSBEAT_MHD_SONAME, "libmicrohttpd12", "to serve",
	mhd_syms, ARRAY_SIZE(mhd_syms), &lazy_mhd,
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
