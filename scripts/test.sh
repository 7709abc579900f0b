#!/usr/bin/env bash
# Sets up and runs every Grantbook test: Go unit tests (real SQLite files,
# in-process IMAP/SMTP servers), serve --domain against Pebble, serve behind
# nginx and Caddy, admin access behind nginx and Caddy and over OpenID
# Connect, the mail integration test against a real Dovecot, the browser
# end-to-end tests in Chromium, and the desktop smoke test of the real
# window under Xvfb.
# Screenshots and logs go to test-artifacts/.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
artifacts="$root/test-artifacts"
rm -rf "$artifacts"
mkdir -p "$artifacts"
export PATH="$(go env GOPATH)/bin:$PATH"
# Every build and test has the sqlite_fts5 tag: contact search needs SQLite's
# FTS5 (migration 12), which go-sqlite3 compiles in only with it.

scripts/setup.sh || { echo "setup failed"; exit 1; }

passed=0 failed=0 failures=()
step() {
	local name=$1
	shift
	echo
	echo "=== $name"
	local start=$SECONDS
	if "$@"; then
		passed=$((passed + 1))
		echo "--- ok: $name ($((SECONDS - start)) s)"
	else
		failed=$((failed + 1))
		failures+=("$name")
		echo "--- FAILED: $name ($((SECONDS - start)) s)"
	fi
}

frontend_build() { (cd frontend && npm run --silent build && npm run --silent check); }
go_vet() { go vet -tags sqlite_fts5 ./... && go vet -tags integration,sqlite_fts5 ./tests/integration/ && go vet -tags acme,proxy,siteauth,sqlite_fts5 ./backend/cli/ && test -z "$(gofmt -l app backend bench tests main.go)"; }
go_unit() { go test -tags sqlite_fts5 -count=1 ./...; }
# serve --domain against Pebble (built from the Go module proxy) on loopback.
acme_pebble() { go test -count=1 -tags acme,sqlite_fts5 -run ACME ./backend/cli/; }
# serve behind nginx and Caddy (Debian's), configured as docs/deploy.md says.
reverse_proxies() { go test -count=1 -tags proxy,sqlite_fts5 -run Proxy ./backend/cli/; }
# Admin access: serve behind Debian's nginx and Caddy, and an OpenID Connect relying party.
site_auth() { go test -count=1 -tags siteauth,sqlite_fts5 -run SiteAuth ./backend/cli/; }
app_build() { scripts/build.sh; }
mail_integration() { tests/integration/run.sh; }
browser_e2e() { (cd frontend && GRANTBOOK_BIN="$root/build/bin/grantbook" E2E_ARTIFACTS="$artifacts" npm run --silent test:e2e); }
desktop_smoke() { tests/desktop-smoke.sh build/bin/grantbook "$artifacts" && tests/desktop-lock.sh build/bin/grantbook "$artifacts" && tests/desktop-publish.sh build/bin/grantbook "$artifacts" && tests/desktop-notify.sh build/bin/grantbook "$artifacts"; }
installers() { scripts/dist.sh && DEB_TEST_ROOT=clean tests/dist/deb-test.sh "" "$artifacts" && tests/dist/windows-test.sh dist "$artifacts"; }

step "frontend build and type check" frontend_build
step "go vet and gofmt" go_vet
step "go unit tests" go_unit
step "automatic HTTPS (Pebble)" acme_pebble
step "reverse proxies (nginx, Caddy)" reverse_proxies
step "admin access (nginx, Caddy, OpenID Connect)" site_auth
step "app build (wails)" app_build
step "mail integration (Dovecot)" mail_integration
step "browser end-to-end (Chromium)" browser_e2e
step "desktop smoke (Xvfb)" desktop_smoke
step "installers (deb + NSIS)" installers

echo
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
