#!/bin/sh
# newsbeat bounces scan on the real-bounce corpus (shared/corpus/bounces,
# read in place; see its README): hard / not-hard agreement with the
# labels >= 95 % of messages, the labelled status found on >= 95 % of
# recipients, every feedback report by its Feedback-Type, every vacation
# notice an auto-reply, and no message hard that the labels call not hard.
# Prints the confusion tables.
. "$(dirname "$0")/lib.sh"
CORPUS="$SHARED/corpus/bounces"
[ -x "$PY" ] || skip_all "no $PY"
if [ ! -f "$CORPUS/labels.tsv" ] || [ ! -d "$CORPUS/messages" ]; then
	echo "SKIPPING LOUDLY: no bounce corpus at $CORPUS (set NEWSBEAT_SHARED)" >&2
	skip_all "no bounce corpus at $CORPUS"
fi
if ! "$NEWSBEAT" bounces scan --json "$CORPUS/messages" >scan.jsonl 2>scan.err; then
	notok "bounces scan --json over the corpus: $(head -c 300 scan.err)"
	done_testing
	exit 1
fi
ok "bounces scan --json over the corpus"
# The scorer speaks TAP from 2 on and prints its own plan: renumber.
$PY "$SRCDIR/tests/tools/bounce_score.py" "$CORPUS/labels.tsv" scan.jsonl >score.tap
rc=$?
sed -n 's/^\(#.*\)$/\1/p' score.tap
while IFS= read -r line; do
	case "$line" in
	"ok "*) ok "${line#ok [0-9]* - }" ;;
	"not ok "*) notok "${line#not ok [0-9]* - }" ;;
	esac
done <score.tap
[ "$rc" -eq 0 ] || [ "$tap_failed" -gt 0 ] || notok "the scorer failed (exit $rc)"
done_testing
