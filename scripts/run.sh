#!/usr/bin/env bash
# Sets up, builds and starts Grantbook. With no arguments it opens the window;
# "serve" (and its flags) serves it to a browser instead.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
exec build/bin/grantbook "$@"
