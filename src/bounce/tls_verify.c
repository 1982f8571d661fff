/*
 * Verifying a libetpan TLS peer with GnuTLS: the chain libetpan saw
 * (mailstream_get_certificate_chain, DER) against a trust list, with the
 * host name, in one gnutls_x509_trust_list_verify_crt2 call.
 */
#include "base/common.h"
#include "bounce/tls_verify.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

static int is_address_literal(const char *host)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

void tls_verify_sni_callback(struct mailstream_ssl_context *ctx, void *data)
{
	char *host = data;

	/* RFC 6066 3: "Literal IPv4 and IPv6 addresses are not permitted". */
	if (!is_address_literal(host))
		mailstream_ssl_set_server_name(ctx, host);
}

static int report(unsigned status, const char *host, const char *ca_file, const char *what)
{
	gnutls_datum_t out = { NULL, 0 };
	char why[256];

	if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0) == 0) {
		static const char lead[] = "The certificate is NOT trusted. ";
		const char *t = (const char *)out.data;
		size_t n;

		/* GnuTLS's text starts with a verdict this message already gives. */
		if (!strncmp(t, lead, sizeof(lead) - 1))
			t += sizeof(lead) - 1;
		snprintf(why, sizeof(why), "%s", t);
		gnutls_free(out.data);
		n = strlen(why);
		while (n && (why[n - 1] == ' ' || why[n - 1] == '.'))
			why[--n] = '\0';
		if (n)
			why[0] = (char)tolower((unsigned char)why[0]);
	} else {
		snprintf(why, sizeof(why), "status 0x%x", status);
	}
	if (status & GNUTLS_CERT_UNEXPECTED_OWNER)
		return error("%s: the certificate of %s is not for that name (%s); "
			     "connect by a name the certificate carries", what, host, why);
	if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA)) {
		if (ca_file)
			return error("%s: certificate of %s not trusted (%s): it is not signed "
				     "by a CA in [bounces] ca_file '%s'", what, host, why, ca_file);
		return error("%s: certificate of %s not trusted (%s): for a private CA "
			     "set [bounces] ca_file", what, host, why);
	}
	if (status & (GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED))
		return error("%s: certificate of %s is outside its validity period (%s); "
			     "renew it or check this machine's clock", what, host, why);
	return error("%s: certificate of %s refused (%s)", what, host, why);
}

int tls_verify_stream(mailstream *s, const char *host, const char *ca_file, const char *what)
{
	carray *chain = mailstream_get_certificate_chain(s);
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0, i, status = 0;
	int r, ret = -1;
	gnutls_typed_vdata_st vdata[1];

	if (!chain || !carray_count(chain)) {
		error("%s: %s sent no certificate; refusing to log in", what, host);
		goto out;
	}
	crts = xcalloc(carray_count(chain), sizeof(*crts));
	for (i = 0; i < carray_count(chain); i++) {
		MMAPString *der = carray_get(chain, i);
		gnutls_datum_t d = { (unsigned char *)der->str, (unsigned)der->len };

		if (gnutls_x509_crt_init(&crts[n]) < 0)
			goto out;
		if (gnutls_x509_crt_import(crts[n], &d, GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(crts[n]);
			error("%s: %s sent a certificate that cannot be read", what, host);
			goto out;
		}
		n++;
	}
	if (gnutls_x509_trust_list_init(&tl, 0) < 0) {
		error("%s: cannot set up certificate checks", what);
		goto out;
	}
	if (ca_file) {
		r = gnutls_x509_trust_list_add_trust_file(tl, ca_file, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
		if (r <= 0) {
			error("[bounces] ca_file '%s': %s", ca_file,
			      r < 0 ? gnutls_strerror(r) : "no PEM certificate in it");
			goto out;
		}
	} else {
		r = gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
		if (r <= 0) {
			error("%s: the system trust store is empty or unreadable; "
			      "install ca-certificates or set [bounces] ca_file", what);
			goto out;
		}
	}
	/* The host name check (RFC 6125) is part of the same verification:
	 * GnuTLS matches an address literal against iPAddress names. */
	vdata[0].type = GNUTLS_DT_DNS_HOSTNAME;
	vdata[0].data = (unsigned char *)host;
	vdata[0].size = 0;
	r = gnutls_x509_trust_list_verify_crt2(tl, crts, n, vdata, 1, 0, &status, NULL);
	if (r < 0) {
		error("%s: cannot verify the certificate of %s: %s", what, host, gnutls_strerror(r));
		goto out;
	}
	if (status) {
		report(status, host, ca_file, what);
		goto out;
	}
	ret = 0;
out:
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	free(crts);
	if (tl)
		gnutls_x509_trust_list_deinit(tl, 1);
	if (chain)
		mailstream_certificate_chain_free(chain);
	return ret;
}
