#!/bin/sh
# Previews of real members: `render --to EMAIL` and `send --test EMAIL`
# use that member's stored name and attributes (the templates say "Dear
# Ann", not "Dear colleague"); --name still overrides; a stranger gets
# the anonymous greeting with a note; a preview creates no database;
# `render --to 'Name <addr>'` is accepted, the name used as --name.
. "$(dirname "$0")/lib.sh"
NB=$NEWSBEAT
PY=/usr/bin/python3
make_newsletter nl
cd nl || exit 2
cat > issues/issue-50.md <<'MD'
---
title: "Member preview"
issue: 50
date: 2026-11-20
---
{{#subscriber.name}}Dear {{subscriber.name}},{{/subscriber.name}}{{^subscriber.name}}Dear colleague,{{/subscriber.name}}

Your section: {{subscriber.section}}.
MD

"$NB" render 50 --to ann@example.org -o p0 > out 2> err
check "render in a newsletter without a database works" test $? -eq 0
check "  and creates no database" test ! -e newsbeat.db
check "  a stranger is 'Dear colleague'" grep -q "Dear colleague" p0/issue-50.txt

printf 'email,name,section\nann@example.org,Ann Smith,Imaging\n' > m.csv
"$NB" subscribers import m.csv > /dev/null
"$NB" render 50 --to ann@Example.ORG -o p1 > out 2> err
check "render --to a member: her stored name" grep -q "Dear Ann Smith," p1/issue-50.txt
check "  and her attributes" grep -q "Your section: Imaging." p1/issue-50.txt
check "  in the HTML part too" grep -q "Dear Ann Smith," p1/issue-50.html
"$NB" render 50 --to ann@example.org --name "Dr Smith" -o p2 > out 2> err
check "--name overrides the stored name" grep -q "Dear Dr Smith," p2/issue-50.txt
"$NB" render 50 --to zed@example.org -o p3 > out 2> err
check "a non-member: 'Dear colleague'" grep -q "Dear colleague" p3/issue-50.txt
check "  with a note saying so" grep -q "zed@example.org is not a member of 'members'" err

"$NB" send 50 --test ann@example.org --yes > out 2> err
check "send --test to a member" test $? -eq 0
check "  says where the Maildir copy went" grep -q "test message for ann@example.org delivered to .*outbox/new/" out
check "  which greets her by name, with her attributes" $PY - <<'PY'
import email, email.policy, glob, quopri, sys
msgs = [email.message_from_binary_file(open(p, "rb"), policy=email.policy.strict)
        for p in glob.glob("outbox/new/*")]
m = [m for m in msgs if m["Subject"].startswith("[TEST]")]
assert len(m) == 1, len(m)
text = m[0].get_body(("plain",)).get_content()
assert "Dear Ann Smith," in text and "Your section: Imaging." in text, text[:300]
PY
check "  and leaves the journal alone" sh -c '"$0" status 50 | grep -q "has not been sent"' "$NB"

# --to as a mail client writes an address.
"$NB" render 50 --to "Bea Jones <bea@example.org>" -o p5 > out 2> err
check "render --to 'Name <addr>' works" test $? -eq 0
check "  greets by that name" grep -q "Dear Bea Jones," p5/issue-50.txt
check "  and addresses the message to her" grep -q "^To: Bea Jones <bea@example.org>" p5/issue-50.eml
"$NB" render 50 --to "Ann <ann@example.org>" -o p6 > out 2> err
check "  a member with it: her attributes, the name given" \
	sh -c 'grep -q "Dear Ann," p6/issue-50.txt && grep -q "Your section: Imaging." p6/issue-50.txt'
"$NB" render 50 --to "Bea <bea@example.org" -o p7 > out 2> err
check "  an unclosed '<' is refused (exit 2)" test $? -eq 2
done_testing
