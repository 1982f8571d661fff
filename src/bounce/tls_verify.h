#ifndef TLS_VERIFY_H
#define TLS_VERIFY_H
/*
 * Certificate checks for libetpan's TLS streams.  libetpan 1.9.4 (GnuTLS
 * build) completes a handshake with any certificate at all, so every TLS
 * connection of this folder is checked here, after the handshake and
 * before a user name or password is sent.
 */
#include <libetpan/libetpan.h>

/*
 * The connect callback: sets the server name (SNI, RFC 6066 section 3)
 * when host is a name, not an address literal.  data is the host string.
 */
void tls_verify_sni_callback(struct mailstream_ssl_context *ctx, void *data);

/*
 * Verify the peer of stream s: its chain must lead to a CA in ca_file
 * (PEM; NULL: the system trust store) and its certificate must name host.
 * 0, or -1 after error() naming the mailbox (what) and what to do.
 */
int tls_verify_stream(mailstream *s, const char *host, const char *ca_file, const char *what);

#endif
