/*
 * libFuzzer target: config.ini text through the parser
 * (config_parse_buffer), then the header-value checks the commands run
 * right after it (config_headers_check, which drives the one address
 * parser on from, envelope_from and unsubscribe_mailto).  Seeds in
 * tests/fuzz/config/.
 */
#include "base/common.h"
#include "base/config.h"
#include "core/config_headers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(const char *level, const char *msg)
{
	(void)level;
	(void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;

	set_report_routine(quiet);
	if (config_parse_buffer(&cfg, "fuzz.ini", "/nl", (const char *)data, size) == 0) {
		/* A loaded config always has every string set, and base_url ends in '/'. */
		if (!cfg.from || !cfg.base_url || cfg.base_url[strlen(cfg.base_url) - 1] != '/')
			BUG("config loaded without its defaults");
		config_headers_check(&cfg);
		config_release(&cfg);
	}
	return 0;
}
