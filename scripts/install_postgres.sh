#!/usr/bin/env bash
# Installs Debian's PostgreSQL for the tests that need a real database (tests/postgres.py)
# when initdb and pg_ctl are missing; Debian keeps them in /usr/lib/postgresql/<version>/bin,
# off PATH. Non-interactive, quiet and idempotent. The tests run initdb into a throwaway
# directory and start their own server on 127.0.0.1. A failed install only warns: those
# tests then skip, loudly, and the rest of the run goes on.
set -euo pipefail
installed() {
    command -v initdb >/dev/null && command -v pg_ctl >/dev/null && return 0
    compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null
}
if installed; then
    exit 0
fi
if ! bash "$(dirname "$0")/apt_install.sh" postgresql || ! installed; then
    echo "WARNING: could not install PostgreSQL (Debian package 'postgresql');" \
        "the tests that need a real PostgreSQL will be SKIPPED" >&2
    exit 0
fi
for postgres in /usr/lib/postgresql/*/bin/postgres; do
    "$postgres" --version
done
