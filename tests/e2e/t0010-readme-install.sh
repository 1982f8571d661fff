#!/bin/sh
# The README's two commands start with scripts/install-deps, run as they are
# written, on a machine without sudo (a fresh server or container, as root).
# The packages are all present here, so the script must finish without
# reaching apt-get; before, the README said 'sudo scripts/install-deps' and
# stopped at "sudo: command not found".
. "$(dirname "$0")/lib.sh"

# The install part (before &&) of each sh block under "## The two commands".
steps=$(awk '/^## The two commands/ { on = 1; next } /^## / { on = 0 }
	on && /^```sh/ { code = 1; next } /^```/ { code = 0 }
	on && code { sub(/ *&&.*/, ""); print }' "$SRCDIR/README.md")
check "README has two install steps" test "$(echo "$steps" | wc -l)" -eq 2

# A PATH with the system tools and no sudo.
mkdir bin
for t in sh dpkg-query grep id cat; do
	ln -s "$(command -v $t)" bin/$t
done
here=$PWD
IFS='
'
for step in $steps; do
	if (cd "$SRCDIR" && IFS=' ' && PATH=$here/bin eval "$step") > out 2>&1; then
		ok "'$step' works without sudo"
	else
		notok "'$step' without sudo: $(head -c 200 out)"
	fi
done
done_testing
