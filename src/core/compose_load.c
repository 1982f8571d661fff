/*
 * What a compose takes from outside, kept out of compose.c so that the
 * personalization itself stays pure: the message templates read from the
 * templates directory (templates.h), and the boundary's randomness with
 * the pin golden tests put on it.  See compose.h.
 */
#include "base/common.h"
#include "base/config.h"
#include "base/strbuf.h"
#include "base/testhook.h"
#include "core/compose.h"
#include "core/templates.h"
#include "core/tmpl.h"
#include "core/token.h"

struct compose *compose_prepare_images(const struct config *cfg, const struct issue *is,
				       const char *secret, const struct image_map *images)
{
	struct compose_templates t;

	t.set = templates_new(cfg->templates_dir);
	t.html = templates_compile(t.set, "email.html", TMPL_ESCAPE_HTML);
	t.text = t.html ? templates_compile(t.set, "email.txt", TMPL_ESCAPE_NONE) : NULL;
	if (!t.text) {
		tmpl_free(t.html);
		templates_free(t.set);
		return NULL;
	}
	return compose_new(cfg, is, secret, images, &t);
}

struct compose *compose_prepare(const struct config *cfg, const struct issue *is,
				const char *secret)
{
	return compose_prepare_images(cfg, is, secret, NULL);
}

int compose_boundary(struct strbuf *out)
{
	const char *fixed = testhook("NEWSBEAT_BOUNDARY");

	if (fixed) {
		strbuf_addstr(out, fixed);
		return 0;
	}
	strbuf_addstr(out, "=_");
	return token_random_alnum(28, out);
}
