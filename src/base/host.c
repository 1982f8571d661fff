/*
 * Host-name rules shared by every network client.
 */
#include "base/common.h"
#include "base/host.h"

#include <strings.h>

int host_is_loopback(const char *host)
{
	size_t n = strlen(host);

	if (!strcasecmp(host, "localhost") || !strcmp(host, "::1") || !strcmp(host, "[::1]"))
		return 1;
	if (!strncmp(host, "127.", 4)) {
		const char *p;
		int dots = 0;

		for (p = host; *p; p++) {
			if (*p == '.')
				dots++;
			else if (*p < '0' || *p > '9')
				return 0;
		}
		return dots == 3 && n <= 15;
	}
	return 0;
}
