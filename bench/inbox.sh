#!/usr/bin/env bash
# Starts a throwaway Dovecot on loopback (tests/dovecot/start.sh), runs the
# inbox benchmark (bench/inbox) against it and stops it. Needs root, like
# the mail integration test. Arguments go to the benchmark (-noise, -replies,
# -idle, -body, -baseline-runs).
set -euo pipefail
cd "$(dirname "$0")/.."
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
	local p=$1
	while port_open "$p" || [ "$p" = "${2:-}" ]; do p=$((p + 1)); done
	echo "$p"
}
export DOVECOT_IMAP_PORT=${DOVECOT_IMAP_PORT:-$(pick_port 11143)}
export DOVECOT_LMTP_PORT=${DOVECOT_LMTP_PORT:-$(pick_port 11024 "$DOVECOT_IMAP_PORT")}
dir=$(mktemp -d "${TMPDIR:-/tmp}/grantbook-bench-dovecot.XXXXXX")
trap 'tests/dovecot/stop.sh "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
eval "$(tests/dovecot/start.sh "$dir")"
export BENCH_DOVECOT_DIR=$dir
go run -tags sqlite_fts5 ./bench/inbox "$@"
