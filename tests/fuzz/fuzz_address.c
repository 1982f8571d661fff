/*
 * The address validator and the mailbox splitter, on any bytes as they
 * arrive from the CLI, CSV, the web form and the config.  An address the
 * validator accepts must go into a header as it is (the sender builds
 * To: from it), and normalizing must be idempotent.  A mailbox the
 * splitter accepts must give an address that, once validated, builds a
 * From header with the name it split off.
 */
#include "fuzz.h"
#include "base/strbuf.h"
#include "base/utf8.h"
#include "core/address.h"
#include "core/mime.h"

static void check_address(const char *in)
{
	struct strbuf norm = STRBUF_INIT, again = STRBUF_INIT, hdr = STRBUF_INIT;
	const char *why = NULL;

	if (address_validate(in, &norm, &why) < 0) {
		FUZZ_CHECK(why != NULL);
	} else {
		FUZZ_CHECK(norm.len > 0 && norm.len <= 256);
		FUZZ_CHECK(address_validate(norm.buf, &again, &why) == 0);
		FUZZ_CHECK(again.len == norm.len && !memcmp(again.buf, norm.buf, norm.len));
		FUZZ_CHECK(mime_add_mailbox(&hdr, "To", NULL, norm.buf) == 0);
	}
	strbuf_release(&norm);
	strbuf_release(&again);
	strbuf_release(&hdr);
}

static void check_mailbox(const char *in)
{
	struct strbuf name = STRBUF_INIT, addr = STRBUF_INIT, hdr = STRBUF_INIT;
	const char *why = NULL;

	if (address_split_mailbox(in, &name, &addr, &why) == 0) {
		/* Accepted means the name passed the name rule and the address
		 * the validator, so it must always make a well-formed header. */
		FUZZ_CHECK(address_check_name(name.buf, NULL) == 0);
		FUZZ_CHECK(mime_add_mailbox(&hdr, "From", name.buf, addr.buf) == 0);
	} else {
		FUZZ_CHECK(why != NULL && name.len == 0 && addr.len == 0);
	}
	strbuf_release(&name);
	strbuf_release(&addr);
	strbuf_release(&hdr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	fuzz_quiet();
	if (size > 4096)
		return 0;
	s = fuzz_cstr(data, size);
	check_address(s);
	check_mailbox(s);
	free(s);
	return 0;
}
