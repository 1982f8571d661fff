#ifndef HOST_H
#define HOST_H
/*
 * Host names as they appear in [smtp] url and [bounces] mailbox: the one
 * rule for "this connection never leaves the machine", which is what lets
 * a connection go without TLS.
 */

/*
 * 1 for "localhost", a dotted-quad in 127.0.0.0/8 and "::1" (with or
 * without brackets); 0 for anything else, including names that only
 * start like one ("127.0.0.1.example.org").  No lookup is made: a name
 * is judged by its spelling, so DNS can never turn TLS off.
 */
int host_is_loopback(const char *host);

#endif
