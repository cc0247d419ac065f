#!/usr/bin/env bash
# Installs Debian's Chromium (and a font) for the browser tests when it is missing.
# Non-interactive, quiet and idempotent: does nothing when /usr/bin/chromium exists.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "install_browser.sh: no apt-get here; install Chromium as /usr/bin/chromium" >&2
    exit 1
fi
run=()
if [ "$(id -u)" -ne 0 ]; then
    run=(sudo -n)
fi
export DEBIAN_FRONTEND=noninteractive
"${run[@]}" apt-get update -qq
"${run[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
/usr/bin/chromium --version
