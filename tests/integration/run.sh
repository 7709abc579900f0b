#!/usr/bin/env bash
# Runs the mail integration test against a real Dovecot: starts one in a
# temporary directory (stopped again on exit), exports its addresses and
# runs go test with the integration tag. Extra arguments go to go test
# (e.g. -run 'TestDovecot/bounce' -v). Needs root, like tests/dovecot/start.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# The default ports, unless taken (another run, a system Dovecot): then the
# first free pair above them.
pick_port() {
	local p=$1
	while port_open "$p" || [ "$p" = "${2:-}" ]; do p=$((p + 1)); done
	echo "$p"
}
export DOVECOT_IMAP_PORT=${DOVECOT_IMAP_PORT:-$(pick_port 10143)}
export DOVECOT_LMTP_PORT=${DOVECOT_LMTP_PORT:-$(pick_port 10024 "$DOVECOT_IMAP_PORT")}

dir=$(mktemp -d "${TMPDIR:-/tmp}/grantbook-dovecot.XXXXXX")
status=1
cleanup() {
	tests/dovecot/stop.sh "$dir" || true
	if [ "$status" -ne 0 ] && [ -f "$dir/dovecot.log" ]; then
		echo "--- dovecot.log (last 40 lines)" >&2
		tail -n 40 "$dir/dovecot.log" >&2 || true
	fi
	rm -rf "$dir"
}
trap cleanup EXIT

env_line=$(tests/dovecot/start.sh "$dir")
eval "$env_line"
echo "dovecot: IMAP $GRANTBOOK_DOVECOT_IMAP, LMTP $GRANTBOOK_DOVECOT_LMTP (in $dir)"
go test -tags integration,sqlite_fts5 -count=1 "$@" ./tests/integration/ && status=0 || status=$?
exit "$status"
