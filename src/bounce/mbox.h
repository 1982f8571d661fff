#ifndef MBOX_H
#define MBOX_H
/*
 * Splitting an mbox file (mboxrd and mboxo as mutt, Postfix's `local` and
 * Dovecot write them) into its messages: a message starts at a line
 * beginning "From " at the start of the file or after a blank line;
 * ">From " quoting is undone (">>From " → ">From ") in the bytes passed on.
 */
#include <stddef.h>

/*
 * Call cb once per message in data[0..len) with the message's bytes (the
 * "From " separator line removed, quoting undone, in a buffer valid only
 * during the call) and the offset of its separator line in data.  Stops
 * early when cb returns non-zero and returns that value; 0 when every
 * message was passed.  data that does not start with "From " is one
 * message.
 */
int mbox_split(const char *data, size_t len,
	       int (*cb)(void *ctx, const char *msg, size_t msglen, size_t offset),
	       void *ctx);

#endif
