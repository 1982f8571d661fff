/*
 * libFuzzer target over the bounce reader: bounce_parse on the input as one
 * message, and mbox_split feeding each message to bounce_parse.  Seeds:
 * tests/fuzz/bounce/.
 */
#include "base/common.h"
#include "bounce/bounce.h"
#include "bounce/mbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int each(void *ctx, const char *msg, size_t len, size_t offset)
{
	struct bounce_message m;

	(void)ctx, (void)offset;
	bounce_parse(msg, len, &m);
	for (size_t i = 0; i < m.nrcpt; i++)
		if (m.rcpt[i].kind >= BOUNCE_NKINDS || !m.rcpt[i].reason)
			abort();
	bounce_message_release(&m);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bounce_message m;

	bounce_parse((const char *)data, size, &m);
	if (m.kind >= BOUNCE_NKINDS)
		abort();
	/* "Never call hard what is not": a hard recipient always has a reason that says so. */
	for (size_t i = 0; i < m.nrcpt; i++)
		if (m.rcpt[i].kind == BOUNCE_HARD && m.rcpt[i].blames_sender)
			abort();
	bounce_message_release(&m);
	mbox_split((const char *)data, size, each, NULL);
	return 0;
}
