#!/usr/bin/env bash
# Installs Debian's redis-server for the replica tests (shared rate limits and tokens) when
# it is missing. Non-interactive, quiet and idempotent. The tests start their own server on
# 127.0.0.1 with a throwaway directory; nothing here starts a service.
set -euo pipefail
if command -v redis-server >/dev/null; then
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "install_redis.sh: no apt-get here; install redis-server" >&2
    exit 1
fi
run=()
if [ "$(id -u)" -ne 0 ]; then
    run=(sudo -n)
fi
export DEBIAN_FRONTEND=noninteractive
"${run[@]}" apt-get update -qq
"${run[@]}" apt-get install -y -qq --no-install-recommends redis-server >/dev/null
redis-server --version
