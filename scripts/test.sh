#!/usr/bin/env bash
# Installs what the tests need (PostgreSQL 15 + PostGIS 3, GDAL, nginx,
# Chromium, python3-venv from Debian; openapi-spec-validator from PyPI when
# missing, and ogctests in a virtual environment of its own; the web app's
# npm packages) and runs the whole test suite: formatting, lints, unit and
# integration tests on both backends (SQLite and PostGIS), the OGC API test
# suite ogctests against `odg serve --demo`, then the web app's build, unit
# and end-to-end tests.
#
# Works on a fresh Debian 12 machine as root (or with sudo). Tests use a
# dedicated role on the local cluster, over loopback, and create and drop
# their own databases. Set CARGO_TARGET_DIR to move the build cache
# (default /var/tmp/odg-target, kept warm between runs).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
as_postgres() { "${sudo_cmd[@]}" su postgres -c "$1"; }

packages=(postgresql-15 postgresql-15-postgis-3 postgresql-client-15 gdal-bin nginx-light openssl ssl-cert curl systemd chromium python3-venv)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The OGC test validates ODG's OpenAPI document with the reference Python validator.
if ! python3 -c 'import openapi_spec_validator' 2>/dev/null; then
  echo "==> installing openapi-spec-validator (PyPI)"
  python3 -m pip install --quiet --break-system-packages openapi-spec-validator
fi

echo "==> starting the local PostgreSQL 15 cluster"
if ! pg_lsclusters -h 2>/dev/null | grep -q '^15 *main'; then
  "${sudo_cmd[@]}" pg_createcluster 15 main >/dev/null
fi
"${sudo_cmd[@]}" pg_ctlcluster 15 main start 2>/dev/null || true
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 1
done
pg_isready -h 127.0.0.1 -p 5432

# A test role that may create databases but is not a superuser; PostGIS
# comes from a template database it clones, so tests need no superuser.
as_postgres "psql -qX -v ON_ERROR_STOP=1" <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'odg_test') THEN
    CREATE ROLE odg_test LOGIN CREATEDB PASSWORD 'odg_test';
  END IF;
END $$;
SQL
if ! as_postgres "psql -qXtA -c \"SELECT 1 FROM pg_database WHERE datname = 'odg_test_template'\"" | grep -q 1; then
  as_postgres "psql -qX -v ON_ERROR_STOP=1 -c 'CREATE DATABASE odg_test_template OWNER odg_test'"
  as_postgres "psql -qX -v ON_ERROR_STOP=1 -d odg_test_template -c 'CREATE EXTENSION postgis'"
fi
# Databases left by an interrupted earlier run.
for db in $(as_postgres "psql -qXtA -c \"SELECT datname FROM pg_database WHERE datname LIKE 'odg\\_test\\_%' AND datname <> 'odg_test_template'\""); do
  as_postgres "psql -qX -c 'DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)'" >/dev/null
done

export ODG_TEST_POSTGRES_URL="postgres://odg_test:odg_test@127.0.0.1:5432/postgres"
export ODG_TEST_POSTGRES_TEMPLATE="odg_test_template"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/odg-target}"
export CARGO_TERM_COLOR=never

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy -D warnings"
cargo clippy --locked --workspace --all-targets --quiet -- -D warnings
echo "==> cargo test (SQLite and PostGIS)"
cargo test --locked --workspace
echo "==> OGC API – Features test suite (ogctests, features/core) against odg serve --demo"
ODG_BIN="$CARGO_TARGET_DIR/debug/odg" ./scripts/ogctests.sh
echo "==> deploy/install.sh, twice, in a throwaway root"
ODG_BIN="$CARGO_TARGET_DIR/debug/odg" ./scripts/test-install.sh
echo "==> web app: build, unit tests, end-to-end tests in headless Chromium"
ODG_BIN="$CARGO_TARGET_DIR/debug/odg" ./scripts/frontend-test.sh

echo "==> all checks passed in $(( $(date +%s) - started )) s"
