#ifndef FUZZ_H
#define FUZZ_H
/*
 * What every libFuzzer target here shares.  A target defines
 * LLVMFuzzerTestOneInput and calls fuzz_quiet() from it: the parsers
 * report through error(), and printing every rejected input would make
 * the fuzzer spend its time writing to stderr.  A broken invariant is a
 * finding: FUZZ_CHECK aborts, which libFuzzer records as a crash with
 * the input that caused it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_drop_report(const char *level, const char *msg)
{
	(void)level;
	(void)msg;
}

static inline void fuzz_quiet(void)
{
	set_report_routine(fuzz_drop_report);
}

#define FUZZ_CHECK(cond) do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

/* A NUL-terminated copy of the input (caller frees). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
