#!/usr/bin/env bash
# Installs Debian packages non-interactively and quietly (with sudo -n when not root):
#   bash scripts/apt_install.sh PACKAGE...
# Used by the install_*.sh scripts, which first check whether the package is needed.
set -euo pipefail
if ! command -v apt-get >/dev/null; then
    echo "apt_install.sh: no apt-get here; install $* by hand" >&2
    exit 1
fi
run=()
if [ "$(id -u)" -ne 0 ]; then
    run=(sudo -n)
fi
export DEBIAN_FRONTEND=noninteractive
"${run[@]}" apt-get update -qq
"${run[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
