/* config.ini: defaults, overrides, unknown keys, bad values with file:line. */
#include "base/common.h"
#include "base/strbuf.h"
#include "base/config.h"
#include "tap.h"

#include <unistd.h>
#include <sys/stat.h>

static struct strbuf reports = STRBUF_INIT;

static void capture(const char *level, const char *msg)
{
	strbuf_addf(&reports, "%s: %s\n", level, msg);
}

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	fputs(s, f);
	fclose(f);
}

/* Parse `text` as "t.ini"; expect failure with `want` in the report. */
static void refused(const char *text, const char *want, const char *what)
{
	struct config cfg;

	strbuf_reset(&reports);
	if (!ok(config_parse_buffer(&cfg, "t.ini", "/nl", text, strlen(text)) == -1, "%s: refused", what)) {
		config_release(&cfg);
		return;
	}
	if (!ok(strstr(reports.buf, want) != NULL, "  says '%s'", want))
		diag("got: %s", reports.buf);
}

static void check_strict(void)
{
	struct strbuf sb = STRBUF_INIT, want = STRBUF_INIT;
	struct config cfg;

	/*
	 * libinih stopped at 200 bytes and parsed the rest of the line as a
	 * new line: this set From.
	 */
	strbuf_addstr(&sb, "[newsletter]\nname = ");
	strbuf_addchars(&sb, 'A', 192);
	strbuf_addstr(&sb, "from = Evil <evil@evil.org>\n");
	strbuf_addstr(&want, "");
	strbuf_addchars(&want, 'A', 192);
	strbuf_addstr(&want, "from = Evil <evil@evil.org>");
	strbuf_reset(&reports);
	is_int(config_parse_buffer(&cfg, "long.ini", "/nl", sb.buf, sb.len), 0, "a long line loads");
	is_str(cfg.from, "NewsBeat <newsbeat@example.org>", "…and its tail does not set From");
	is_str(cfg.name, want.buf, "…the name is the whole rest of the line");
	config_release(&cfg);

	strbuf_reset(&sb);
	strbuf_addstr(&sb, "[smtp]\nurl = smtp://relay.example.org:587/");
	strbuf_addchars(&sb, 'x', 5000);
	strbuf_addstr(&sb, "\n");
	is_int(config_parse_buffer(&cfg, "long.ini", "/nl", sb.buf, sb.len), 0, "a 5,000-byte line loads");
	is_int((int)strlen(cfg.smtp_url), 5000 + 29, "…whole");
	config_release(&cfg);

	refused("[smtp]\nurl = smtp://a.example.org\nconnections = 2\nurl = smtp://b.example.org\n",
		"t.ini:4: [smtp] url is set twice (first at line 2)", "a duplicate key");
	refused("[smtp]\nconnections = 2\n[paths]\n[smtp]\nrate = 1\n",
		"t.ini:4: section [smtp] appears twice (first at line 1)", "a duplicate section");
	refused("[smpt]\nurl = smtp://relay.example.org\n",
		"t.ini:1: unknown section [smpt]; did you mean [smtp]?", "a misspelt section");
	refused("[mail]\nurl = smtp://relay.example.org\n", "t.ini:1: unknown section [mail] (known:",
		"an unknown section");
	refused("[smtp]\nulr = smtp://relay.example.org\n",
		"t.ini:2: unknown key 'ulr' in [smtp]; did you mean 'url'?", "a misspelt key");
	refused("[newsletter]\nenvelope_from = b@example.org\n",
		"t.ini:2: unknown key 'envelope_from' in [newsletter]; did you mean it under [smtp]?",
		"a key in the wrong section");
	refused("from = a@example.org\n[newsletter]\n",
		"t.ini:1: 'from' comes before any [section]; did you mean it under [newsletter]?",
		"a key before any section");
	refused("[smtp]\nfrobnicate = 1\n", "t.ini:2: unknown key 'frobnicate' in [smtp]",
		"an unknown key");
	/* inih joined the indented line onto the key: From became the second line alone. */
	refused("[newsletter]\nfrom = NewsBeat <newsbeat@example.org>\n  Evil <evil@evil.org>\n",
		"t.ini:3: this line is indented", "an indented continuation line");
	refused("[newsletter]\n  name = X\n", "t.ini:2: this line is indented", "an indented key");
	refused("[smtp]\nenvelope_from = a@example.org\rRCPT TO:<x@evil.org>\n",
		"t.ini:2: control character 0x0d", "a bare CR in a value");
	refused("[newsletter]\nname = a\x01" "b\n", "t.ini:2: control character 0x01", "a control character");
	refused("[newsletter]\nname = caf\xe9\n", "t.ini:2: byte 11 is not valid UTF-8", "Latin-1");
	{
		static const char nul[] = "[newsletter]\nname = a\0b\n";

		strbuf_reset(&reports);
		is_int(config_parse_buffer(&cfg, "t.ini", "/nl", nul, sizeof(nul) - 1), -1,
		       "a NUL inside the buffer is refused");
		ok(strstr(reports.buf, "t.ini:2: a NUL byte") != NULL, "…naming its line");
	}
	refused("[newsletter\n", "t.ini:1: a section header needs its closing ']'", "an unclosed section");
	refused("[newsletter] x\n", "t.ini:1: text after the section header", "text after a section");
	refused("[newsletter]\nname\n", "t.ini:2: cannot read this line", "a line without '='");
	refused("[newsletter]\n = x\n", "t.ini:2: this line is indented", "no key name");
	refused("[newsletter]\n= x\n", "t.ini:2: a key name is missing", "no key name");
	refused("[newsletter]\nna me = x\n", "t.ini:2: 'na me' is not a key name", "a space in a key");
	/* Several problems: all reported. */
	refused("[smpt]\n[newsletter]\nnmae = x\nname = a\x01\n", "t.ini:3: unknown key 'nmae'",
		"several problems");
	ok(strstr(reports.buf, "t.ini:1:") && strstr(reports.buf, "t.ini:4:"), "…each reported");

	/* What stays accepted: CRLF, a BOM, comments, inline comments, empty values. */
	{
		static const char ok_text[] =
			"\xEF\xBB\xBF; comment\r\n# another\r\n[newsletter]\r\n"
			"name = Heart News   ; inline comment\r\n  ; an indented comment\r\n\r\n"
			"base_url = https://h.example.org/a;b/\r\n[smtp]\r\nurl =\r\nrate=2\r\n";

		strbuf_reset(&reports);
		is_int(config_parse_buffer(&cfg, "ok.ini", "/nl", ok_text, sizeof(ok_text) - 1), 0,
		       "CRLF, BOM, comments and inline comments load");
		is_str(reports.buf, "", "…without a word");
		is_str(cfg.name, "Heart News", "…the inline comment is cut");
		is_str(cfg.base_url, "https://h.example.org/a;b/", "…a ';' without a space before it is kept");
		ok(cfg.rate == 2, "…'key=value' without spaces");
		strbuf_reset(&sb);
		config_where(&cfg, &cfg.name, &sb);
		is_str(sb.buf, "ok.ini:4: [newsletter] name", "config_where names FILE:LINE and the key");
		strbuf_reset(&sb);
		config_where(&cfg, &cfg.from, &sb);
		is_str(sb.buf, "ok.ini: [newsletter] from (the built-in default)", "…or says it is the default");
		config_release(&cfg);
	}
	strbuf_release(&sb);
	strbuf_release(&want);
}

int main(void)
{
	char dir[] = "/tmp/nb-config-XXXXXX";
	struct strbuf path = STRBUF_INIT;
	struct config cfg;

	set_report_routine(capture);
	if (!mkdtemp(dir) || chdir(dir) < 0)
		return 1;

	is_int(config_load(&cfg, NULL), 0, "no config file: defaults");
	is_str(cfg.name, "NewsBeat", "default name");
	is_int(cfg.connections, CONFIG_CONNECTIONS_AUTO, "default connections: auto");
	is_int(cfg.max_connections, 16, "default max_connections");
	is_str(cfg.smtp_url, "", "default transport is the Maildir outbox");
	ok(cfg.tls == CONFIG_TLS_REQUIRED, "TLS required by default");
	strbuf_addf(&path, "%s/outbox", dir);
	is_str(cfg.outbox, path.buf, "paths resolve against the directory");
	is_str(cfg.unsubscribe_mailto, "", "unsubscribe_mailto empty: the From address is used");
	config_release(&cfg);

	is_int(config_load(&cfg, "missing.ini"), -1, "an explicitly named missing file is an error");
	ok(strstr(reports.buf, "missing.ini") != NULL, "the error names the file");

	mkdir("sub", 0755);
	write_file("sub/c.ini",
		   "[newsletter]\nname = Heart News\nbase_url = https://h.example.org\n"
		   "[paths]\ndatabase = data/nb.db\n"
		   "[smtp]\nconnections = 8\nrate = 2.5\ntls = none\n");
	strbuf_reset(&reports);
	is_int(config_load(&cfg, "sub/c.ini"), 0, "a valid file loads");
	is_str(cfg.name, "Heart News", "name overridden");
	is_str(cfg.base_url, "https://h.example.org/", "base_url gains a trailing slash");
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/sub/data/nb.db", dir);
	is_str(cfg.database, path.buf, "relative to the config file's directory");
	is_int(cfg.connections, 8, "connections");
	ok(cfg.rate == 2.5, "rate");
	ok(cfg.tls == CONFIG_TLS_NONE, "tls = none");
	config_release(&cfg);

	write_file("auto.ini", "[smtp]\nconnections = auto\nmax_connections = 6\n");
	is_int(config_load(&cfg, "auto.ini"), 0, "connections = auto loads");
	ok(cfg.connections == CONFIG_CONNECTIONS_AUTO && cfg.max_connections == 6,
	   "connections = auto, max_connections = 6");
	config_release(&cfg);

	write_file("bad.ini", "[smtp]\n\nconnections = lots\n");
	strbuf_reset(&reports);
	is_int(config_load(&cfg, "bad.ini"), -1, "a bad value fails");
	ok(strstr(reports.buf, "bad.ini:3: [smtp] connections must be 'auto' or a whole number from 1 to 64 (got 'lots')") != NULL,
	   "bad value error names file:line and the rule");

	write_file("bad2.ini", "[smtp]\ntls = maybe\n");
	strbuf_reset(&reports);
	is_int(config_load(&cfg, "bad2.ini"), -1, "bad tls fails");
	ok(strstr(reports.buf, "bad2.ini:2:") != NULL, "with its line");

	write_file("bad3.ini", "[newsletter]\nbase_url = ftp://x\n");
	is_int(config_load(&cfg, "bad3.ini"), -1, "non-http base_url fails");

	write_file("bad4.ini", "[smtp\nurl = x\n");
	strbuf_reset(&reports);
	is_int(config_load(&cfg, "bad4.ini"), -1, "syntax error fails");
	ok(strstr(reports.buf, "bad4.ini:1:") != NULL, "syntax error names the line");

	write_file("pw.ini", "[smtp]\npassword = hunter2\n");
	strbuf_reset(&reports);
	is_int(config_load(&cfg, "pw.ini"), -1, "a password key is an error");
	ok(strstr(reports.buf, "pw.ini:2: passwords do not belong in config files") != NULL,
	   "a password in the file gets a pointed error");

	setenv("NB_TEST_SECRET", "s3cret", 1);
	write_file("sec.ini", "[serve]\nsecret_env = NB_TEST_SECRET\n");
	config_load(&cfg, "sec.ini");
	is_str(config_secret(&cfg), "s3cret", "secret comes from the named environment variable");
	config_release(&cfg);

	check_strict();
	strbuf_release(&path);
	strbuf_release(&reports);
	return tap_done();
}
