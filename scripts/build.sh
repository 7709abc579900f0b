#!/usr/bin/env bash
# Builds build/bin/grantbook: the desktop window plus the serve command.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(go env GOPATH)/bin:$PATH"
version=$(cat backend/version/VERSION)
# wails.json's productVersion feeds installers: keep it equal to VERSION.
sed -i "s/\"productVersion\": \"[^\"]*\"/\"productVersion\": \"${version}\"/" wails.json
(cd frontend && npm run --silent build)
# -s: the frontend is built just above, with the packages setup.sh installed.
# sqlite_fts5: contact search needs SQLite's FTS5 (migration 12).
wails build -tags webkit2_41,sqlite_fts5 -skipbindings -clean=false -s \
	>/tmp/grantbook-wails-build.log 2>&1 || {
	cat /tmp/grantbook-wails-build.log >&2
	exit 1
}
echo "build: build/bin/grantbook ${version}"
