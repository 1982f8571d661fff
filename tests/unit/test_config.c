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
	is_int(cfg.connections, 4, "default connections");
	is_str(cfg.smtp_url, "", "default transport is the Maildir outbox");
	ok(cfg.tls == CONFIG_TLS_REQUIRED, "TLS required by default");
	strbuf_addf(&path, "%s/outbox", dir);
	is_str(cfg.outbox, path.buf, "paths resolve against the directory");
	is_str(cfg.unsubscribe_mailto, "newsbeat@example.org", "unsubscribe mailto from From");
	config_release(&cfg);

	is_int(config_load(&cfg, "missing.ini"), -1, "an explicitly named missing file is an error");
	ok(strstr(reports.buf, "missing.ini") != NULL, "the error names the file");

	mkdir("sub", 0755);
	write_file("sub/c.ini",
		   "[newsletter]\nname = Heart News\nbase_url = https://h.example.org\n"
		   "[paths]\ndatabase = data/nb.db\n"
		   "[smtp]\nconnections = 8\nrate = 2.5\ntls = none\nfrobnicate = 1\n");
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
	ok(strstr(reports.buf, "warning: sub/c.ini:10: unknown key 'frobnicate' in section [smtp]") != NULL,
	   "unknown key warns with file:line");
	config_release(&cfg);

	write_file("bad.ini", "[smtp]\n\nconnections = lots\n");
	strbuf_reset(&reports);
	is_int(config_load(&cfg, "bad.ini"), -1, "a bad value fails");
	ok(strstr(reports.buf, "bad.ini:3: [smtp] connections must be a whole number from 1 to 64 (got 'lots')") != NULL,
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
	is_int(config_load(&cfg, "pw.ini"), 0, "a password key loads (ignored)");
	ok(strstr(reports.buf, "passwords do not belong in config files") != NULL,
	   "a password in the file gets a pointed warning");
	config_release(&cfg);

	setenv("NB_TEST_SECRET", "s3cret", 1);
	write_file("sec.ini", "[serve]\nsecret_env = NB_TEST_SECRET\n");
	config_load(&cfg, "sec.ini");
	is_str(config_secret(&cfg), "s3cret", "secret comes from the named environment variable");
	config_release(&cfg);

	strbuf_release(&path);
	strbuf_release(&reports);
	return tap_done();
}
