#include "base/testhook.h"

#include <stdlib.h>

const char *testhook(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}
