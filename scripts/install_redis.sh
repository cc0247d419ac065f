#!/usr/bin/env bash
# Installs Debian's redis-server for the replica tests (shared rate limits and tokens) when
# it is missing. Non-interactive, quiet and idempotent. The tests start their own server on
# 127.0.0.1 with a throwaway directory; nothing here starts a service.
set -euo pipefail
if command -v redis-server >/dev/null; then
    exit 0
fi
bash "$(dirname "$0")/apt_install.sh" redis-server
redis-server --version
