#!/usr/bin/env bash
# Runs Grantbook's benchmarks one after the other and prints every figure.
# Usage: bench/run.sh [paths|evaluate|casbin|store|inbox|outbox|acme|desktop|faults]...  (default: all)
# Bounded in time (a few minutes in all at the default sizes) and loopback
# only. inbox needs root and Dovecot (scripts/setup.sh installs it); store
# needs the sqlite3 shell; paths needs wrk and the sqlite3 shell.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(go env GOPATH)/bin:$PATH"
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(paths evaluate casbin store inbox outbox acme desktop faults)
for p in "${parts[@]}"; do
	echo "=== $p"
	case $p in
	paths) go run -tags sqlite_fts5 ./bench/paths ;;
	evaluate) go test ./bench/evaluate -run '^$' -bench . -benchmem -cpu 1 -count 3 ;;
	casbin) (cd bench/casbin && go test -run . -bench . -benchmem -cpu 1 -count 3) ;;
	store) go run -tags sqlite_fts5 ./bench/store ;;
	inbox) bench/inbox.sh ;;
	outbox) go run -tags sqlite_fts5 ./bench/outbox ;;
	acme) go run ./bench/acme ;;
	desktop) bench/desktop.sh ;;
	faults) bench/faults.sh ;;
	*) echo "unknown benchmark $p" >&2; exit 2 ;;
	esac
done
