# Helpers for the `newsbeat serve` tests (t60xx), sourced after lib.sh.
SERVE_TOOL="$PY $SRCDIR/tests/e2e/serve-tool.py"
export NEWSBEAT_SECRET=serve-test-secret-0123456789abcdef0123456789

# serve_setup: a newsletter in $TMP/nl with an archive and a config whose
# base_url points at the port the server will use ($PORT, $BASE).
serve_setup() {
	PORT=$(free_port)
	BASE="http://127.0.0.1:$PORT"
	mkdir -p nl/public/issues nl/templates
	cp "$SRCDIR"/templates/* nl/templates/
	cat > nl/config.ini <<EOC
[newsletter]
name = NewsBeat
from = NewsBeat <newsbeat@example.org>
base_url = $BASE/
list_id = newsbeat.example.org
default_list = members
[serve]
listen = 127.0.0.1:$PORT
EOC
}

# serve_start [ARGS...]: start the server in the background, wait for it.
serve_start() {
	"$NEWSBEAT" -c nl/config.ini serve "$@" 2>>serve.log &
	SERVE_PID=$!
	at_exit "kill $SERVE_PID 2>/dev/null; wait $SERVE_PID 2>/dev/null"
	wait_port "$PORT" || { echo "# server did not start:"; sed 's/^/# /' serve.log; }
}

# serve_stop: SIGTERM, then the exit status in $SERVE_RC.
serve_stop() {
	kill -TERM "$SERVE_PID"
	wait "$SERVE_PID"
	SERVE_RC=$?
}

# http_code ARGS...: the status code curl gets.
http_code() {
	curl -s -o /dev/null -w '%{http_code}' "$@"
}
