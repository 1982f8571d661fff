/*
 * The official Mustache spec suite (../shared/spec/mustache, every .json file listed below), read
 * at run time: one TAP line per case, "<file>: <case name>".  Lambdas and
 * inheritance are not part of the target and are not read.
 * Our own cases (errors, template values, the missing callback) are in
 * test_tmpl.c, which runs even when the shared directory is absent.
 */
#include "base/common.h"
#include "base/strbuf.h"
#include "core/tmpl.h"
#include "tap.h"
#include <json-c/json.h>
#include <unistd.h>

static const char *const spec_files[] = {
	"comments", "delimiters", "interpolation", "inverted", "partials", "sections",
};

static struct tval *from_json(struct json_object *j)
{
	struct tval *v;
	size_t i, n;

	switch (json_object_get_type(j)) {
	case json_type_null:
		return tval_null();
	case json_type_boolean:
		return tval_bool(json_object_get_boolean(j));
	case json_type_int:
		return tval_number((double)json_object_get_int64(j));
	case json_type_double:
		return tval_number(json_object_get_double(j));
	case json_type_string:
		return tval_string_n(json_object_get_string(j),
				     (size_t)json_object_get_string_len(j));
	case json_type_array:
		v = tval_list();
		n = json_object_array_length(j);
		for (i = 0; i < n; i++)
			tval_push(v, from_json(json_object_array_get_idx(j, i)));
		return v;
	case json_type_object:
		v = tval_object();
		json_object_object_foreach(j, key, val)
			tval_set(v, key, from_json(val));
		return v;
	}
	return tval_null();
}

/* Partials come from the case's "partials" object. */
static int spec_partial(void *data, const char *name, struct strbuf *src,
			const char **display_name)
{
	struct json_object *partials = data, *p;

	if (!partials || !json_object_object_get_ex(partials, name, &p))
		return -1;
	strbuf_add(src, json_object_get_string(p), (size_t)json_object_get_string_len(p));
	*display_name = name;
	return 0;
}

static void run_case(const char *file, struct json_object *c)
{
	struct json_object *jname, *jdata, *jtmpl, *jexp, *jpart = NULL;
	struct tmpl_options opts = { TMPL_ESCAPE_HTML, spec_partial, NULL, 1 };
	struct strbuf out = STRBUF_INIT;
	const struct tval *stack[1];
	struct tval *data;
	struct tmpl *t;

	json_object_object_get_ex(c, "name", &jname);
	json_object_object_get_ex(c, "data", &jdata);
	json_object_object_get_ex(c, "template", &jtmpl);
	json_object_object_get_ex(c, "expected", &jexp);
	json_object_object_get_ex(c, "partials", &jpart);
	opts.partial_data = jpart;

	t = tmpl_compile(json_object_get_string(jname), json_object_get_string(jtmpl),
			 (size_t)json_object_get_string_len(jtmpl), &opts);
	if (!t) {
		ok(0, "%s: %s (compile failed)", file, json_object_get_string(jname));
		return;
	}
	data = from_json(jdata);
	stack[0] = data;
	tmpl_render(t, stack, 1, &out);
	if (!is_str(out.buf, json_object_get_string(jexp), "%s: %s", file,
		    json_object_get_string(jname)))
		diag("template: '%s'", json_object_get_string(jtmpl));
	strbuf_release(&out);
	tval_free(data);
	tmpl_free(t);
}

int main(void)
{
	const char *shared = getenv("NEWSBEAT_SHARED");
	char dir[4096], path[4200];
	size_t f, i;

	snprintf(dir, sizeof(dir), "%s/spec/mustache", shared && *shared ? shared : "../shared");
	snprintf(path, sizeof(path), "%s/sections.json", dir);
	if (access(path, R_OK) < 0) {
		char why[4300];

		snprintf(why, sizeof(why), "mustache spec suite not found at %s", dir);
		skip_all(why);
	}
	for (f = 0; f < ARRAY_SIZE(spec_files); f++) {
		struct json_object *root, *tests;

		snprintf(path, sizeof(path), "%s/%s.json", dir, spec_files[f]);
		root = json_object_from_file(path);
		if (!root || !json_object_object_get_ex(root, "tests", &tests)) {
			ok(0, "%s: readable spec file", path);
			json_object_put(root);
			continue;
		}
		for (i = 0; i < json_object_array_length(tests); i++)
			run_case(spec_files[f], json_object_array_get_idx(tests, i));
		json_object_put(root);
	}
	return tap_done();
}
