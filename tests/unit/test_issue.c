/* Issue files: front matter, body, every rejection with its FILE:LINE. */
#include "base/common.h"
#include "core/issue.h"
#include "base/strbuf.h"
#include "base/fsutil.h"
#include "tap.h"

#include <unistd.h>

static struct strbuf msgs = STRBUF_INIT;

static void capture(const char *level, const char *msg)
{
	strbuf_addf(&msgs, "%s: %s\n", level, msg);
}

static int parse(struct issue *is, const char *text)
{
	strbuf_reset(&msgs);
	return issue_parse(is, "issues/issue-42.md", text, strlen(text));
}

/* The file must be rejected and the message must contain `want`. */
static void rejects(const char *text, size_t len, const char *want, const char *name)
{
	struct issue is;
	int r;

	strbuf_reset(&msgs);
	r = issue_parse(&is, "issues/issue-42.md", text, len);
	issue_release(&is);
	ok(r == -1 && strstr(msgs.buf, want), "rejects %s", name);
	if (!strstr(msgs.buf, want))
		diag("got: %s want: %s", msgs.buf, want);
}

#define REJECTS(text, want, name) rejects(text, sizeof(text) - 1, want, name)

static void test_good(void)
{
	struct issue is;
	char *s;
	struct strbuf sb = STRBUF_INIT;

	is_int(parse(&is, "---\n"
			  "title: \"CMR in heart failure: what's new\"\n"
			  "issue: 42\n"
			  "date: 2026-11-27\n"
			  "preheader: \"Plus: abstract deadline\"\n"
			  "list: members\n"
			  "draft: false\n"
			  "tags: [research, meetings]\n"
			  "---\n"
			  "Hello **world**\n"), 0, "valid issue parses");
	is_str(is.title, "CMR in heart failure: what's new", "title");
	is_int(is.number, 42, "number");
	is_str(is.date, "2026-11-27", "date");
	ok(is.year == 2026 && is.month == 11 && is.day == 27, "date parts");
	is_str(is.preheader, "Plus: abstract deadline", "preheader");
	is_str(is.list, "members", "list");
	ok(is.subject == NULL, "subject absent");
	is_int(is.ntags, 2, "two tags");
	is_str(is.ntags == 2 ? is.tags[1] : NULL, "meetings", "second tag");
	is_str(is.body, "Hello **world**\n", "body");
	is_int(is.body_line, 10, "body starts on line 10");
	is_int(is.title_line, 2, "title line");
	is_int(is.preheader_line, 5, "preheader line");
	s = issue_subject(&is, "NewsBeat");
	is_str(s, "NewsBeat #42: CMR in heart failure: what's new", "derived subject");
	free(s);
	issue_slug(&is, &sb);
	is_str(sb.buf, "issue-42", "slug");
	strbuf_release(&sb);
	is_str(msgs.buf, "", "no warnings");
	issue_release(&is);

	is_int(parse(&is, "---\ntitle: T\nissue: 7\ndate: 2024-02-29\nsubject: Own subject\n---\n"), 0,
	       "leap day, explicit subject, empty body");
	s = issue_subject(&is, "NewsBeat");
	is_str(s, "Own subject", "explicit subject wins");
	free(s);
	is_str(is.preheader, "", "preheader defaults to empty");
	is_str(is.body, "", "empty body");
	issue_release(&is);

	is_int(parse(&is, "\xef\xbb\xbf---\r\ntitle: T\r\nissue: 3\r\ndate: 2026-01-02\r\n---\r\nline one\r\nline two\r\n"),
	       0, "BOM and CRLF accepted");
	is_str(is.title, "T", "CRLF title has no CR");
	is_str(is.body, "line one\nline two\n", "CRLF body normalised to LF");
	issue_release(&is);

	is_int(parse(&is, "---\ntitle: T\nissue: 3\ndate: 2026-01-02\nauthor: me\n---\n"), 0,
	       "unknown field is not an error");
	ok(strstr(msgs.buf, "warning: issues/issue-42.md:5: unknown field 'author'") != NULL,
	   "unknown field warns with file:line");
	issue_release(&is);
}

static void test_rejects(void)
{
	char big[64];
	struct strbuf sb = STRBUF_INIT;

	REJECTS("Hello\n", "issues/issue-42.md:1: no front matter", "no front matter");
	REJECTS("", "issues/issue-42.md:1: no front matter", "empty file");
	REJECTS("---\ntitle: T\nissue: 1\n", "issues/issue-42.md:1: front matter is not closed",
		"unterminated front matter");
	REJECTS("---\ntitle: T\nissue: 1\ndate: 2026-01-01\ntitle: x: y\n---\n",
		"issues/issue-42.md:5: bad YAML", "bad YAML");
	REJECTS("---\ntitle: \"unclosed\nissue: 1\n---\n", "issues/issue-42.md:2: bad YAML", "unclosed quote points at its start");
	REJECTS("---\ntitle: T\n\tissue: 1\n---\n", "issues/issue-42.md:3: bad YAML in front matter: found a tab", "tab indentation");
	REJECTS("---\nissue: 1\ndate: 2026-01-01\n---\nbody\n",
		"issues/issue-42.md:4: missing 'title'", "missing title");
	REJECTS("---\ntitle: T\ndate: 2026-01-01\n---\n",
		"issues/issue-42.md:4: missing 'issue'; add a line like issue: 42", "missing issue");
	REJECTS("---\ntitle: T\nissue: 1\n---\n", "issues/issue-42.md:4: missing 'date'", "missing date");
	REJECTS("---\ntitle: T\ndate: 2026-01-01\nissue: forty-two\n---\n",
		"issues/issue-42.md:4: 'issue' must be a whole number, e.g. issue: 42", "issue not a number");
	REJECTS("---\ntitle: T\ndate: 2026-01-01\nissue: \"42\"\n---\n",
		"issues/issue-42.md:4: 'issue' must be a whole number", "quoted issue number");
	REJECTS("---\ntitle: T\ndate: 2026-01-01\nissue: 4.2\n---\n",
		"issues/issue-42.md:4: 'issue' must be a whole number", "fractional issue");
	REJECTS("---\ntitle: T\ndate: 2026-01-01\nissue: 0\n---\n",
		"issues/issue-42.md:4: 'issue' must be a whole number", "issue zero");
	REJECTS("---\ntitle: T\nissue: 1\ndate: 2026-02-30\n---\n",
		"issues/issue-42.md:4: 'date' must be a real date written YYYY-MM-DD", "impossible date");
	REJECTS("---\ntitle: T\nissue: 1\ndate: 2025-02-29\n---\n",
		"issues/issue-42.md:4: 'date' must be a real date", "29 February in a common year");
	REJECTS("---\ntitle: T\nissue: 1\ndate: 27/11/2026\n---\n",
		"issues/issue-42.md:4: 'date' must be a real date", "date in the wrong format");
	REJECTS("---\ntitle: [a, b]\nissue: 1\ndate: 2026-01-01\n---\n",
		"issues/issue-42.md:2: 'title' must be text", "title is a list");
	REJECTS("---\ntitle: \"a\\nb\"\nissue: 1\ndate: 2026-01-01\n---\n",
		"issues/issue-42.md:2: 'title' contains a line break", "LF in title");
	REJECTS("---\ntitle: T\nsubject: \"a\\rBcc: x@evil\"\nissue: 1\ndate: 2026-01-01\n---\n",
		"issues/issue-42.md:3: 'subject' contains a line break", "CR in subject");
	REJECTS("---\ntitle: T\npreheader: \"a\\0b\"\nissue: 1\ndate: 2026-01-01\n---\n",
		"issues/issue-42.md:3: 'preheader' contains a NUL", "escaped NUL in preheader");
	REJECTS("---\ntitle: |\n  two\n  lines\nissue: 1\ndate: 2026-01-01\n---\n",
		"issues/issue-42.md:2: 'title' contains a line break", "block scalar title");
	REJECTS("---\ntitle: T\nissue: 1\ndate: 2026-01-01\n---\nok\nbad \xff byte\n",
		"issues/issue-42.md:7: invalid UTF-8", "invalid UTF-8 in body names the line");
	REJECTS("---\ntitle: \xc3\x28\nissue: 1\ndate: 2026-01-01\n---\n",
		"issues/issue-42.md:2: invalid UTF-8", "invalid UTF-8 in front matter");
	REJECTS("---\ntitle: T\nissue: 1\ndate: 2026-01-01\n---\n\xc0\xaf overlong\n",
		"issues/issue-42.md:6: invalid UTF-8", "overlong UTF-8");
	REJECTS("---\ntitle: T\nissue: 1\ndate: 2026-01-01\n---\n\xed\xa0\x80 surrogate\n",
		"issues/issue-42.md:6: invalid UTF-8", "UTF-8 surrogate");
	REJECTS("---\ntitle: T\nissue: 1\ndate: 2026-01-01\n---\nx\ny\0z\n",
		"issues/issue-42.md:7: the file contains a NUL byte", "NUL byte in body");
	REJECTS("---\ntitle: T\ntitle: U\nissue: 1\ndate: 2026-01-01\n---\n",
		"issues/issue-42.md:3: 'title' is given twice", "duplicate key");
	REJECTS("---\ntitle: \"\"\nissue: 1\ndate: 2026-01-01\n---\n",
		"issues/issue-42.md:2: 'title' is empty", "empty title");
	REJECTS("---\ntitle:\nissue: 1\ndate: 2026-01-01\n---\n",
		"issues/issue-42.md:2: 'title' is empty", "title with no value");
	REJECTS("---\ntitle: ~\nissue: 1\ndate: 2026-01-01\n---\n",
		"issues/issue-42.md:2: 'title' is empty", "null title");
	REJECTS("---\ntitle: T\nissue: 1\ndate: 2026-01-01\nsubject: null\n---\n",
		"issues/issue-42.md:5: 'subject' is empty; remove the line", "null subject");
	REJECTS("---\ntitle: \"a\\eb\"\nissue: 1\ndate: 2026-01-01\n---\n",
		"issues/issue-42.md:2: 'title' contains a control character (0x1b)", "escape character in title");
	/* C1 controls (U+009B is CSI on terminals that take C1) and DEL too. */
	REJECTS("---\ntitle: \"a\\x9bb\"\nissue: 1\ndate: 2026-01-01\n---\n",
		"issues/issue-42.md:2: 'title' contains a control character (0x9b)", "C1 CSI in title");
	REJECTS("---\ntitle: T\nissue: 1\ndate: 2026-01-01\nlist: \"a\\x7f\"\n---\n",
		"issues/issue-42.md:5: 'list' contains a control character (0x7f)", "DEL in list");
	REJECTS("---\ntitle: T\nissue: 1\ndate: 2026-01-01\ndraft: maybe\n---\n",
		"issues/issue-42.md:5: 'draft' must be true or false", "draft not a bool");
	REJECTS("---\ntitle: T\nissue: 1\ndate: 2026-01-01\ntags: research\n---\n",
		"issues/issue-42.md:5: 'tags' must be a list", "tags not a list");
	REJECTS("---\n- a\n- b\n---\n", "issues/issue-42.md:2: front matter must be 'key: value' lines",
		"front matter is a list");

	/* The body cap: one byte over is refused and the cap is named. */
	strbuf_addstr(&sb, "---\ntitle: T\nissue: 1\ndate: 2026-01-01\n---\n");
	strbuf_addchars(&sb, 'a', ISSUE_MAX_BODY);
	{
		struct issue is;

		strbuf_reset(&msgs);
		is_int(issue_parse(&is, "x.md", sb.buf, sb.len), 0, "body of exactly ISSUE_MAX_BODY bytes accepted");
		issue_release(&is);
	}
	strbuf_addch(&sb, 'a');
	snprintf(big, sizeof(big), "over the %d KiB cap", ISSUE_MAX_BODY / 1024);
	rejects(sb.buf, sb.len, big, "body over the cap");
	ok(strstr(msgs.buf, "issues/issue-42.md:6:") && strstr(msgs.buf, "CVE-2023-22486"),
	   "cap message names the body line and why");
	strbuf_release(&sb);
}

static void touch(const char *path)
{
	write_file_atomic(path, "x", 1, 0644);
}

static void test_files(void)
{
	char dir[] = "/tmp/test_issue.XXXXXX";
	struct strbuf p = STRBUF_INIT, out = STRBUF_INIT;
	char **paths;
	size_t n, i;

	if (!mkdtemp(dir)) {
		skip("mkdtemp failed");
		return;
	}
	path_join(&p, dir, "issue-2.md"); touch(p.buf);
	path_join(&p, dir, "issue-10.md"); touch(p.buf);
	path_join(&p, dir, "issue-1.md"); touch(p.buf);
	path_join(&p, dir, "notes.md"); touch(p.buf);
	path_join(&p, dir, "issue-x.md"); touch(p.buf);

	is_int(issue_list(dir, &paths, &n), 0, "issue_list");
	is_int(n, 3, "three issue files");
	if (n == 3) {
		ok(strstr(paths[0], "/issue-1.md") && strstr(paths[1], "/issue-2.md") &&
		   strstr(paths[2], "/issue-10.md"), "sorted by number, not by name");
	}
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);

	strbuf_reset(&p);
	strbuf_addf(&p, "%s/issue-10.md", dir);
	is_int(issue_resolve(dir, "10", &out), 0, "resolve '10'");
	is_str(out.buf, p.buf, "'10' → issue-10.md");
	strbuf_reset(&out);
	is_int(issue_resolve(dir, "issue-10", &out), 0, "resolve 'issue-10'");
	is_str(out.buf, p.buf, "'issue-10' → issue-10.md");
	strbuf_reset(&out);
	is_int(issue_resolve(dir, "issue-10.md", &out), 0, "resolve a bare file name");
	is_str(out.buf, p.buf, "'issue-10.md' found in the issues directory");
	strbuf_reset(&out);
	is_int(issue_resolve("elsewhere", p.buf, &out), 0, "resolve a path");
	is_str(out.buf, p.buf, "path used as is");
	strbuf_reset(&out);
	strbuf_reset(&msgs);
	is_int(issue_resolve(dir, "99", &out), -1, "missing issue");
	ok(strstr(msgs.buf, "no issue '99'") && strstr(msgs.buf, "issue-99.md"),
	   "missing issue names what was tried");

	is_int(issue_list("/nonexistent/dir", &paths, &n), 0, "missing directory is empty");
	is_int(n, 0, "no issues");
	free(paths);

	remove_tree(dir);
	strbuf_release(&p);
	strbuf_release(&out);
}

int main(void)
{
	set_report_routine(capture);
	test_good();
	test_rejects();
	test_files();
	strbuf_release(&msgs);
	return tap_done();
}
