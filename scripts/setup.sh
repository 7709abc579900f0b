#!/usr/bin/env bash
# Installs what Grantbook needs to build, run and test on Debian bookworm:
# system packages, the Wails CLI and the frontend's npm packages. Safe to
# run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
	build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev # window (Wails on WebKitGTK 4.1)
	nodejs npm                                                    # frontend build
	xvfb xauth x11-utils imagemagick dbus-x11 fonts-dejavu-core openssl    # desktop smoke test (openssl: the publish test's throwaway CA)
	chromium                                                      # browser e2e tests
	dovecot-imapd dovecot-lmtpd                                   # mail integration tests
	nginx caddy                                                   # serve behind a reverse proxy; admin access (auth_request, forward_auth)
	sqlite3 wrk                                                   # benchmarks (the sqlite3 shell, the HTTP load generator)
	gcc-mingw-w64-x86-64 nsis dpkg-dev                            # installers (scripts/dist.sh)
	p7zip-full file xdotool desktop-file-utils debootstrap curl   # installer tests (tests/dist)
	wine wine64                                                   # the Windows installer, run (64-bit only: no i386 packages)
	systemd                                                       # systemd-analyze checks the .deb's service unit
)
WAILS_VERSION=v2.14.0

need_sudo() { if [ "$(id -u)" -ne 0 ]; then echo sudo; fi; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node from elsewhere (nvm, nodesource) is fine: skip Debian's.
if command -v node >/dev/null && command -v npm >/dev/null; then
	missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	$(need_sudo) apt-get update -qq
	# RUNLEVEL=1: the tests run nginx, Caddy and Dovecot as their own
	# children; installing them must not start system services on :80.
	RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive $(need_sudo) apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v go >/dev/null; then
	echo "setup: Go 1.26 or newer is needed (https://go.dev/dl/); put it on PATH and run again" >&2
	exit 1
fi
GOBIN="$(go env GOPATH)/bin"
export PATH="$GOBIN:$PATH"
# Capture first: with pipefail, grep -q closing the pipe early would fail it.
have_wails=$(wails version 2>/dev/null || true)
if [[ "$have_wails" != *"${WAILS_VERSION}"* ]]; then
	echo "setup: installing the Wails CLI ${WAILS_VERSION}"
	go install "github.com/wailsapp/wails/v2/cmd/wails@${WAILS_VERSION}"
fi

if [ ! -d frontend/node_modules ] || [ frontend/package-lock.json -nt frontend/node_modules/.package-lock.json ]; then
	echo "setup: installing frontend packages"
	(cd frontend && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "setup: done"
