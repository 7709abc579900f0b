#!/usr/bin/env bash
# Fault-injection runs (docs/benchmarks.md, section 6).
# Usage: bench/faults.sh [crash|imapcut] [flags of that program]
#   crash    builds the binary (go build -o /tmp/gb-faults .) and kills it
#            with SIGKILL while it sends invitations (bench/faults/crash:
#            -trials, -n, -posters, -max-extra, -smtp-delay, -seed, -keep, -v)
#   imapcut  starts a throwaway Dovecot (tests/dovecot/start.sh; needs root),
#            cuts the watcher's IMAP connection through a proxy while replies
#            arrive, and stops Dovecot (bench/faults/imapcut: -duration,
#            -cut-every, -settle, -min-gap, -max-gap, -keep)
# Without a program name both run, with their default flags.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
[ $# -gt 0 ] && shift

crash() {
	local bin=${GB_FAULTS_BIN:-/tmp/gb-faults}
	go build -tags sqlite_fts5 -o "$bin" .
	go run ./bench/faults/crash -bin "$bin" "$@"
}

imapcut() {
	port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
	pick_port() {
		local p=$1
		while port_open "$p" || [ "$p" = "${2:-}" ]; do p=$((p + 1)); done
		echo "$p"
	}
	export DOVECOT_IMAP_PORT=${DOVECOT_IMAP_PORT:-$(pick_port 12143)}
	export DOVECOT_LMTP_PORT=${DOVECOT_LMTP_PORT:-$(pick_port 12024 "$DOVECOT_IMAP_PORT")}
	dir=$(mktemp -d "${TMPDIR:-/tmp}/grantbook-faults-dovecot.XXXXXX")
	trap 'tests/dovecot/stop.sh "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
	eval "$(tests/dovecot/start.sh "$dir")"
	export BENCH_DOVECOT_DIR=$dir
	go run -tags sqlite_fts5 ./bench/faults/imapcut "$@"
}

case $what in
crash) crash "$@" ;;
imapcut) imapcut "$@" ;;
all)
	echo "=== faults: crash"
	crash
	echo "=== faults: imapcut"
	imapcut
	;;
*)
	echo "usage: bench/faults.sh [crash|imapcut] [flags]" >&2
	exit 2
	;;
esac
