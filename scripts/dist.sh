#!/usr/bin/env bash
# Builds Grantbook's installers into dist/, from this Debian machine:
#   dist/grantbook_VERSION_amd64.deb                    Debian/Ubuntu package
#   dist/grantbook-VERSION-windows-amd64-installer.exe  Windows installer (NSIS)
#   dist/grantbook-VERSION-windows-amd64.exe            the Windows program alone
# VERSION is backend/version/VERSION and nothing else. macOS cannot be built
# here: see docs/packaging.md.
# Usage: scripts/dist.sh [linux] [windows]     (both when none is named)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="$(go env GOPATH)/bin:$PATH"

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(linux windows)
for t in "${targets[@]}"; do
	case $t in linux | windows) ;; *) echo "dist: unknown target '$t' (linux, windows)" >&2; exit 2 ;; esac
done
wants() { [[ " ${targets[*]} " == *" $1 "* ]]; }

version=$(tr -d '[:space:]' <backend/version/VERSION)
# Windows version resources need numeric X.Y.Z(.0); Debian takes it as is.
if ! [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
	echo "dist: backend/version/VERSION is '$version': use X.Y.Z" >&2
	exit 1
fi

need=(wails go dpkg-deb convert)
wants windows && need+=(x86_64-w64-mingw32-gcc makensis)
for tool in "${need[@]}"; do
	command -v "$tool" >/dev/null || { echo "dist: $tool is missing: run scripts/setup.sh" >&2; exit 1; }
done

out=$root/dist
logs=$out/logs
mkdir -p "$logs"
stage=""
trap '[ -z "$stage" ] || rm -rf "$stage"' EXIT

# wails.json's productVersion feeds the Windows version resource and the
# installer: keep it equal to VERSION (as scripts/build.sh does).
sed -i "s/\"productVersion\": \"[^\"]*\"/\"productVersion\": \"${version}\"/" wails.json

# The UI is embedded in both programs: build it unless dist is newer than
# every source.
if [ ! -f frontend/dist/index.html ] ||
	[ -n "$(find frontend/src frontend/public frontend/index.html frontend/package.json frontend/vite.config.ts \
		frontend/svelte.config.js -newer frontend/dist/index.html -print -quit 2>/dev/null)" ]; then
	[ -d frontend/node_modules ] || { echo "dist: frontend/node_modules is missing: run scripts/setup.sh" >&2; exit 1; }
	echo "dist: building the frontend"
	(cd frontend && npm run --silent build) >"$logs/frontend.log" 2>&1 || { cat "$logs/frontend.log" >&2; exit 1; }
fi

# -s: frontend built above; -m -nosyncgomod: never touch go.mod/go.sum.
wails_build() {
	local log=$1
	shift
	wails build -s -m -nosyncgomod -skipbindings -clean=false "$@" >"$log" 2>&1 || {
		tail -50 "$log" >&2
		echo "dist: wails build failed, full log: $log" >&2
		return 1
	}
}

build_deb() {
	local start=$SECONDS
	wails_build "$logs/linux.log" -platform linux/amd64 -tags webkit2_41,sqlite_fts5
	[ "$(build/bin/grantbook version)" = "grantbook $version" ] || {
		echo "dist: build/bin/grantbook says '$(build/bin/grantbook version)', not $version" >&2
		return 1
	}
	stage=$(mktemp -d)
	local pkg=$stage/grantbook
	install -Dm755 build/bin/grantbook "$pkg/usr/bin/grantbook"
	install -Dm644 build/linux/grantbook.desktop "$pkg/usr/share/applications/grantbook.desktop"
	install -Dm644 build/linux/grantbook.metainfo.xml "$pkg/usr/share/metainfo/grantbook.metainfo.xml"
	install -Dm644 build/linux/copyright "$pkg/usr/share/doc/grantbook/copyright"
	install -Dm644 docs/deploy.md "$pkg/usr/share/doc/grantbook/deploy.md"
	# grantbook serve as a service, installed disabled (docs/deploy.md).
	install -Dm644 build/linux/grantbook.service "$pkg/lib/systemd/system/grantbook.service"
	install -Dm644 build/linux/grantbook.default "$pkg/etc/default/grantbook"
	for s in 16 32 48 64 128 256 512; do
		mkdir -p "$pkg/usr/share/icons/hicolor/${s}x${s}/apps"
		convert build/appicon.png -resize "${s}x${s}" -strip -define png:exclude-chunks=date,time \
			"PNG32:$pkg/usr/share/icons/hicolor/${s}x${s}/apps/grantbook.png"
	done

	# Depends: what the binary links against, the way Debian packages
	# compute it; the two runtimes the window needs are always named.
	local depends=""
	if command -v dpkg-shlibdeps >/dev/null; then
		mkdir -p "$stage/debian" && touch "$stage/debian/control"
		depends=$(cd "$stage" && dpkg-shlibdeps -O grantbook/usr/bin/grantbook 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
	fi
	for d in libgtk-3-0 libwebkit2gtk-4.1-0; do
		grep -qE "(^|, )$d( |,|$)" <<<"$depends" || depends="${depends:+$depends, }$d"
	done

	local size
	size=$(du -sk "$pkg" | cut -f1)
	mkdir -p "$pkg/DEBIAN"
	sed -e "s/@VERSION@/$version/" -e "s/@DEPENDS@/$depends/" -e "s/@INSTALLED_SIZE@/$size/" \
		build/linux/control.in >"$pkg/DEBIAN/control"
	echo /etc/default/grantbook >"$pkg/DEBIAN/conffiles"
	install -m755 build/linux/debian/postinst build/linux/debian/prerm build/linux/debian/postrm "$pkg/DEBIAN/"
	rm -f "$out"/grantbook_*_amd64.deb
	dpkg-deb --root-owner-group -Zxz --build "$pkg" "$out/grantbook_${version}_amd64.deb" >/dev/null
	echo "dist: dist/grantbook_${version}_amd64.deb ($(du -h "$out/grantbook_${version}_amd64.deb" | cut -f1), $((SECONDS - start)) s)"
}

build_windows() {
	local start=$SECONDS
	# go-sqlite3 needs cgo: cross-compile the C parts with mingw-w64. With
	# -v 2 Wails passes on makensis's output, where project.nsi lists its
	# install steps (tests/dist/windows-test.sh reads them).
	CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc CXX=x86_64-w64-mingw32-g++ \
		wails_build "$logs/windows.log" -platform windows/amd64 -tags sqlite_fts5 -nsis -v 2
	local installer=build/bin/grantbook-${version}-windows-amd64-installer.exe
	[ -f "$installer" ] || { echo "dist: $installer was not made; see $logs/windows.log" >&2; return 1; }
	rm -f "$out"/grantbook-*-windows-amd64*.exe
	cp build/bin/grantbook.exe "$out/grantbook-${version}-windows-amd64.exe"
	mv "$installer" "$out/"
	echo "dist: dist/grantbook-${version}-windows-amd64-installer.exe ($(du -h "$out/grantbook-${version}-windows-amd64-installer.exe" | cut -f1), $((SECONDS - start)) s)"
}

wants linux && build_deb
wants windows && build_windows
exit 0
