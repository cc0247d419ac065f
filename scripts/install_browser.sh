#!/usr/bin/env bash
# Installs Debian's Chromium (and a font) for the browser tests when it is missing.
# Non-interactive, quiet and idempotent: does nothing when /usr/bin/chromium exists.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
bash "$(dirname "$0")/apt_install.sh" chromium fonts-dejavu-core
/usr/bin/chromium --version
