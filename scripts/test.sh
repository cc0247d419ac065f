#!/usr/bin/env bash
# Installs what the tests need (the package with its [test] extra; Debian's Chromium for the
# browser tests and redis-server for the replica tests when they are missing) and runs every
# check: ruff (style), bandit (security findings in src/), then the pytest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e ".[test]"
bash scripts/install_browser.sh
bash scripts/install_redis.sh
bash scripts/install_postgres.sh
python3 -m ruff check .
python3 -m bandit --quiet --recursive src
python3 -m pytest
