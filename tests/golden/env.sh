# Pins everything that would otherwise vary between runs of `render`.
export NEWSBEAT_NOW=2026-11-27T09:00:00Z
export NEWSBEAT_BOUNDARY==_GoldenBoundary0123456789abcdefgh
export NEWSBEAT_SECRET=golden-test-secret-0123456789abcdef
GOLDEN_TO=zoe.mueller@example.org
GOLDEN_NAME="Zoë Müller"

# The archive case: the issues and config.ini under archive/ built with the
# shipped templates, and the pages compared (one of each kind, the feed,
# the sitemap and the search index), as paths under the archive.
GOLDEN_ARCHIVE_FILES="index.html issues/issue-2.html tags/community.html feed.xml sitemap.xml search-index.js"
# golden_archive TOP WORK: build it in the new directory WORK (WORK/public).
golden_archive() {
	mkdir -p "$2" && cp -r "$1/templates" "$1/tests/golden/archive/issues" \
		"$1/tests/golden/archive/config.ini" "$2/" &&
		(cd "$2" && "$NEWSBEAT" archive -q)
}
