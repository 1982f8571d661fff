/*
 * strbuf_add_shown, the one escaper for terminal output: controls (C0,
 * DEL, C1) and invalid UTF-8 become visible escapes, the quote set gets
 * backslashes, printable ASCII and UTF-8 stay as they are.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "tap.h"

static void shows(const char *in, size_t len, const char *quote, const char *want, const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_add_shown(&sb, in, len, quote);
	is_str(sb.buf, want, "%s", name);
	strbuf_release(&sb);
}

#define SHOWS(in, quote, want, name) shows(in, sizeof(in) - 1, quote, want, name)

int main(void)
{
	SHOWS("plain text, 'quoted'", NULL, "plain text, 'quoted'", "printable ASCII is kept");
	SHOWS("Zo\xC3\xAB \xE2\x82\xAC \xF0\x9F\x98\x80", NULL, "Zo\xC3\xAB \xE2\x82\xAC \xF0\x9F\x98\x80",
	      "well-formed UTF-8 is kept");
	SHOWS("a\033[31mred\033]0;title\007", NULL, "a\\x1b[31mred\\x1b]0;title\\x07",
	      "ESC and BEL are escaped");
	SHOWS("a\tb\nc\rd", NULL, "a\\tb\\nc\\rd", "tab and line breaks are named");
	SHOWS("nul\0x\x7f", NULL, "nul\\x00x\\x7f", "NUL and DEL");
	SHOWS("csi\xC2\x9B" "2J nel\xC2\x85", NULL, "csi\\u009b2J nel\\u0085", "C1 controls as \\u");
	SHOWS("\xC2\xA0nbsp", NULL, "\xC2\xA0nbsp", "U+00A0 is not a control");
	SHOWS("bad\xFF\xC3", NULL, "bad\\xff\\xc3", "invalid and truncated UTF-8 as bytes");
	SHOWS("\xED\xA0\x80", NULL, "\\xed\\xa0\\x80", "a surrogate is invalid UTF-8");
	SHOWS("it's a\\b", "\\'", "it\\'s a\\\\b", "the quote set is backslashed");
	{
		struct strbuf sb = STRBUF_INIT;

		ok(strbuf_add_percent_decoded(&sb, "a%20b%2Fc%2f", 12) == 0 && !strcmp(sb.buf, "a b/c/"),
		   "percent-decoding, either case");
		strbuf_reset(&sb);
		ok(strbuf_add_percent_decoded(&sb, "x%2", 3) < 0 && strbuf_add_percent_decoded(&sb, "%zz", 3) < 0,
		   "a cut or malformed escape is refused");
		strbuf_release(&sb);
	}
	return tap_done();
}
