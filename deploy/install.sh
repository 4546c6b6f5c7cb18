#!/usr/bin/env bash
# Installs, or upgrades, ODG on a Debian 12 / Ubuntu 22.04+ machine, as root:
# PostgreSQL + PostGIS and nginx from the distribution, the database and its
# owner role, the `odg` system user, the binary and the web app,
# /etc/odg/odg.env with generated secrets, migrations, the first
# administrator, the systemd service, the daily backup timer and the nginx
# site. Idempotent: a second run changes nothing, and a run with a new
# binary or web app replaces only those and restarts the service. Secrets
# and passwords that exist are never regenerated. One line per step.
# deploy/README.md is the guide; run with --help for the options.
set -euo pipefail
shopt -s inherit_errexit

usage() {
  cat <<'EOF'
Usage: sudo deploy/install.sh --domain NAME [options]

Installs or upgrades ODG behind nginx with PostgreSQL + PostGIS. Safe to
re-run: existing secrets, passwords, data and settings are kept, and only
what differs is replaced. Prints one line per step: changed, unchanged or
skipped.

Options:
  --domain NAME          Server name of the nginx site (e.g. odg.example.org).
                         Needed on the first run; later runs reuse the name of
                         the installed site.
  --binary PATH          The odg binary to install (default: target/release/odg
                         of this repository, or $CARGO_TARGET_DIR/release/odg).
  --web DIR              The built web app (default: frontend/dist of this
                         repository, when present; without it the web app step
                         is skipped).
  --admin-user NAME      Username of the first administrator (default: admin).
  --admin-email EMAIL    Its email (default: admin@DOMAIN).
  --admin-password-file FILE
                         Read its password from the first line of FILE
                         (or set ODG_ADMIN_PASSWORD in the environment).
                         Default: a generated password, printed once.
  --db-name NAME         Database name (default: odg). First run only.
  --db-user NAME         Its owner role (default: odg). First run only.
  --pg-port PORT         Port of the local PostgreSQL cluster (default: 5432).
  --skip-packages        Do not install packages with apt-get (they must be
                         present). Also: ODG_INSTALL_SKIP_PACKAGES=1.
  --no-systemd           Do not talk to systemd or reload nginx: units are
                         written and enabled offline (systemctl --root), nothing
                         is started. For tests and chroots. Also:
                         ODG_INSTALL_NO_SYSTEMD=1.
  --root DIR             Write every file under DIR instead of / (a throwaway
                         root for tests; implies --no-systemd). The database
                         still lives in the local cluster. Also:
                         ODG_INSTALL_ROOT=DIR.
  -h, --help             This help.

Files written (under --root DIR if given):
  /usr/local/bin/odg, /usr/local/sbin/odg-admin (runs odg commands with the
  service's settings: sudo odg-admin doctor), /usr/share/odg/web/,
  /etc/odg/odg.env (0600),
  /etc/systemd/system/odg.service, odg-backup.service, odg-backup.timer,
  /etc/nginx/sites-available/odg (+ sites-enabled link),
  /usr/share/doc/odg/, /var/lib/odg/, /var/backups/odg/, /var/www/certbot/.

TLS: the nginx site (deploy/nginx/odg.conf) redirects HTTP to HTTPS and uses
Debian's self-signed snakeoil certificate until a Let's Encrypt certificate
for DOMAIN exists. Get one with `certbot --nginx -d DOMAIN`, then run this
script again: the site then names /etc/letsencrypt/live/DOMAIN/.
EOF
}

die() {
  echo "install.sh: $*" >&2
  exit 1
}

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)

DOMAIN=""
BINARY=""
WEB=""
ADMIN_USER="admin"
ADMIN_EMAIL=""
ADMIN_PASSWORD_FILE=""
DB_NAME=""
DB_USER=""
PG_PORT=5432
SKIP_PACKAGES=${ODG_INSTALL_SKIP_PACKAGES:-0}
NO_SYSTEMD=${ODG_INSTALL_NO_SYSTEMD:-0}
ROOT=${ODG_INSTALL_ROOT:-}

while [ $# -gt 0 ]; do
  case "$1" in
    --domain) DOMAIN=${2:?--domain needs a value}; shift 2 ;;
    --binary) BINARY=${2:?--binary needs a path}; shift 2 ;;
    --web) WEB=${2:?--web needs a directory}; shift 2 ;;
    --admin-user) ADMIN_USER=${2:?--admin-user needs a value}; shift 2 ;;
    --admin-email) ADMIN_EMAIL=${2:?--admin-email needs a value}; shift 2 ;;
    --admin-password-file) ADMIN_PASSWORD_FILE=${2:?--admin-password-file needs a path}; shift 2 ;;
    --db-name) DB_NAME=${2:?--db-name needs a value}; shift 2 ;;
    --db-user) DB_USER=${2:?--db-user needs a value}; shift 2 ;;
    --pg-port) PG_PORT=${2:?--pg-port needs a value}; shift 2 ;;
    --skip-packages) SKIP_PACKAGES=1; shift ;;
    --no-systemd) NO_SYSTEMD=1; shift ;;
    --root) ROOT=${2:?--root needs a directory}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

[ "$(id -u)" -eq 0 ] || die "run as root (sudo deploy/install.sh ...)"
if [ -n "$ROOT" ]; then
  [ -d "$ROOT" ] || die "--root $ROOT is not a directory"
  ROOT=$(cd "$ROOT" && pwd)
  [ "$ROOT" != "/" ] || ROOT=""
fi
[ -z "$ROOT" ] || NO_SYSTEMD=1
[[ "$PG_PORT" =~ ^[0-9]+$ ]] || die "--pg-port $PG_PORT is not a port number"

# Paths on the target system; every write goes to "$ROOT$path".
BIN_PATH=/usr/local/bin/odg
ADMIN_TOOL_PATH=/usr/local/sbin/odg-admin
ENV_DIR=/etc/odg
ENV_PATH=/etc/odg/odg.env
WEB_PATH=/usr/share/odg/web
DOC_PATH=/usr/share/doc/odg
DATA_PATH=/var/lib/odg
BACKUP_PATH=/var/backups/odg
ACME_PATH=/var/www/certbot
UNIT_DIR=/etc/systemd/system
SITE_PATH=/etc/nginx/sites-available/odg
SITE_LINK=/etc/nginx/sites-enabled/odg
DEFAULT_SITE_LINK=/etc/nginx/sites-enabled/default
UNITS=(odg.service odg-backup.service odg-backup.timer)

# Another run at the same time would race on the same files.
lock=/run/lock/odg-install.lock
[ -d /run/lock ] && [ -w /run/lock ] || lock=/tmp/odg-install.lock
exec 9>"$lock"
flock -n 9 || die "another install.sh is running ($lock)"

CURRENT_STEP="start"
trap 'echo "install.sh: failed during step \"$CURRENT_STEP\" (line $LINENO); nothing after it was done. Fix the cause and run it again." >&2' ERR

# One line per step: "<step>  changed|unchanged|skipped (detail)".
report() {
  printf '%-16s %s\n' "$1:" "$2"
}

# --- helpers ----------------------------------------------------------------

# uid/gid of a local user or group, read from the target's /etc files.
uid_of() { awk -F: -v n="$1" '$1 == n { print $3; exit }' "$ROOT/etc/passwd" 2>/dev/null; }
gid_of() { awk -F: -v n="$1" '$1 == n { print $3; exit }' "$ROOT/etc/group" 2>/dev/null; }

# Makes a directory with mode and owner; echoes "changed" if it did anything.
ensure_dir() { # path mode uid gid
  local dir="$ROOT$1" did=""
  if [ ! -d "$dir" ]; then
    mkdir -p "$dir"
    did=1
  fi
  if [ "$(stat -c '%a %u %g' "$dir")" != "$2 $3 $4" ]; then
    chmod "$2" "$dir"
    chown "$3:$4" "$dir"
    did=1
  fi
  [ -z "$did" ] || echo changed
}

# Installs one file (atomically, by rename) when its content, mode or owner
# differs; echoes "changed" if it did.
install_file() { # source target-path mode uid gid
  local target="$ROOT$2"
  if [ -f "$target" ] && cmp -s "$1" "$target" &&
    [ "$(stat -c '%a %u %g' "$target")" = "$3 $4 $5" ]; then
    return 0
  fi
  mkdir -p "$(dirname "$target")"
  local partial
  partial="$(dirname "$target")/.$(basename "$target").install-$$"
  cp "$1" "$partial"
  chmod "$3" "$partial"
  chown "$4:$5" "$partial"
  mv -f "$partial" "$target"
  echo changed
}

# The value of KEY in the env file (last one wins), quotes removed.
env_get() { # key
  local value
  value=$(sed -n "s/^[[:space:]]*$1=//p" "$ROOT$ENV_PATH" 2>/dev/null | tail -n 1)
  value=${value%\"}
  value=${value#\"}
  value=${value%\'}
  value=${value#\'}
  printf '%s' "$value"
}

# A random secret of N bytes: hex (safe in URLs) or base64.
random_hex() { openssl rand -hex "$1"; }
random_base64() { openssl rand -base64 "$1" | tr -d '\n'; }

# SQL as the postgres superuser, over the local socket (peer authentication).
# SQL comes on stdin, never on a command line.
psql_admin() { # [database]; SQL on stdin
  (cd / && runuser -u postgres -- psql -X -q -A -t -v ON_ERROR_STOP=1 -p "$PG_PORT" -d "${1:-postgres}")
}

sql_quote() { printf "'%s'" "${1//\'/\'\'}"; }

# The installed odg as the odg user, with exactly the settings of the env
# file (nothing inherited from this shell, no secret on a command line).
run_odg() {
  local uid gid
  uid=$(uid_of odg)
  gid=$(gid_of odg)
  (
    cd /
    while IFS= read -r name; do unset "$name" 2>/dev/null || true; done < <(compgen -e)
    export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    export HOME="$DATA_PATH" LANG=C.UTF-8
    while IFS= read -r line || [ -n "$line" ]; do
      [[ "$line" =~ ^[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
      key=${BASH_REMATCH[1]}
      value=${BASH_REMATCH[2]}
      if [[ "$value" =~ ^\"(.*)\"$ || "$value" =~ ^\'(.*)\'$ ]]; then value=${BASH_REMATCH[1]}; fi
      export "$key=$value"
    done <"$ROOT$ENV_PATH"
    exec setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$ROOT$BIN_PATH" "$@"
  )
}

have_systemd() { [ "$NO_SYSTEMD" != 1 ]; }

# "a, b, c"
joined() {
  local IFS=,
  local text="$*"
  printf '%s' "${text//,/, }"
}

# --- inputs -----------------------------------------------------------------

if [ -z "$BINARY" ]; then
  BINARY="$REPO/target/release/odg"
  if [ ! -x "$BINARY" ] && [ -n "${CARGO_TARGET_DIR:-}" ] && [ -x "$CARGO_TARGET_DIR/release/odg" ]; then
    BINARY="$CARGO_TARGET_DIR/release/odg"
  fi
fi
[ -x "$BINARY" ] || die "no odg binary at $BINARY: build it with \`cargo build --release\` or pass --binary PATH"
"$BINARY" --version >/dev/null 2>&1 || die "$BINARY does not run (\`$BINARY --version\` fails)"
if [ -z "$WEB" ] && [ -d "$REPO/frontend/dist" ]; then WEB="$REPO/frontend/dist"; fi
if [ -n "$WEB" ]; then
  [ -f "$WEB/index.html" ] || die "--web $WEB has no index.html: build the web app (cd frontend && npm ci && npm run build)"
fi

if [ -z "$DOMAIN" ] && [ -f "$ROOT$SITE_PATH" ]; then
  DOMAIN=$(awk '$1 == "server_name" { sub(";", "", $2); print $2; exit }' "$ROOT$SITE_PATH")
fi
[ -n "$DOMAIN" ] || die "--domain NAME is needed on the first run (the server name of the nginx site)"
[[ "$DOMAIN" =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]] || die "--domain $DOMAIN is not a host name"
[ -n "$ADMIN_EMAIL" ] || ADMIN_EMAIL="admin@$DOMAIN"
[[ "$ADMIN_USER" =~ ^[A-Za-z0-9._-]+$ ]] || die "--admin-user $ADMIN_USER: letters, digits, . _ - only"

# An existing install keeps its database: its name, role and password come
# from the env file.
EXISTING_URL=""
if [ -f "$ROOT$ENV_PATH" ]; then EXISTING_URL=$(env_get DATABASE_URL); fi
DB_PASSWORD=""
if [ -n "$EXISTING_URL" ]; then
  url_re='^postgres(ql)?://([^:@/]+):([^@/]*)@([^/]+)/([^?]+)'
  [[ "$EXISTING_URL" =~ $url_re ]] ||
    die "DATABASE_URL in $ENV_PATH is not postgres://USER:PASSWORD@HOST:PORT/DATABASE; fix it or move the file away"
  old_user=${BASH_REMATCH[2]}
  DB_PASSWORD=$(printf '%b' "${BASH_REMATCH[3]//%/\\x}")
  old_db=${BASH_REMATCH[5]}
  [ -z "$DB_USER" ] || [ "$DB_USER" = "$old_user" ] || die "ODG is installed with role $old_user (DATABASE_URL in $ENV_PATH); --db-user $DB_USER cannot change it"
  [ -z "$DB_NAME" ] || [ "$DB_NAME" = "$old_db" ] || die "ODG is installed with database $old_db (DATABASE_URL in $ENV_PATH); --db-name $DB_NAME cannot change it"
  DB_USER=$old_user
  DB_NAME=$old_db
fi
DB_USER=${DB_USER:-odg}
DB_NAME=${DB_NAME:-odg}
[[ "$DB_USER" =~ ^[a-z_][a-z0-9_]*$ ]] || die "database role $DB_USER: lower-case letters, digits and _ only"
[[ "$DB_NAME" =~ ^[a-z_][a-z0-9_]*$ ]] || die "database name $DB_NAME: lower-case letters, digits and _ only"

# Something changed that the running server must pick up.
RESTART=""

# --- 1. packages ------------------------------------------------------------
CURRENT_STEP="packages"
if [ "$SKIP_PACKAGES" = 1 ]; then
  report packages "skipped (--skip-packages)"
else
  installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
  base=(postgresql postgresql-client nginx ssl-cert openssl curl ca-certificates util-linux certbot python3-certbot-nginx)
  missing=()
  for p in "${base[@]}"; do installed "$p" || missing+=("$p"); done
  updated=""
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    updated=1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  # PostGIS for the distribution's PostgreSQL major version.
  pg_major=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -n | tail -n 1)
  [ -n "$pg_major" ] || die "PostgreSQL is not installed under /usr/lib/postgresql"
  postgis="postgresql-$pg_major-postgis-3"
  if ! installed "$postgis"; then
    [ -n "$updated" ] || apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$postgis" >/dev/null
    missing+=("$postgis")
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    report packages "changed (installed ${missing[*]})"
  else
    report packages "unchanged (PostgreSQL $pg_major, PostGIS 3, nginx, certbot present)"
  fi
fi
for tool in psql runuser setpriv openssl cmp flock; do
  command -v "$tool" >/dev/null || die "$tool is missing (install the packages, or run without --skip-packages)"
done

# --- 2. PostgreSQL running ----------------------------------------------------
CURRENT_STEP="postgresql"
if pg_isready -q -p "$PG_PORT" 2>/dev/null; then
  report postgresql "unchanged (accepting connections on port $PG_PORT)"
elif have_systemd; then
  systemctl enable --now postgresql >/dev/null 2>&1
  for _ in $(seq 1 30); do pg_isready -q -p "$PG_PORT" && break; sleep 1; done
  pg_isready -q -p "$PG_PORT" || die "PostgreSQL does not accept connections on port $PG_PORT: see pg_lsclusters and journalctl -u postgresql"
  report postgresql "changed (started)"
else
  die "PostgreSQL does not accept connections on port $PG_PORT (--no-systemd: start it yourself, e.g. pg_ctlcluster 15 main start)"
fi

# --- 3. the odg system user ---------------------------------------------------
CURRENT_STEP="system user"
if [ -n "$(uid_of odg)" ] && [ -n "$(gid_of odg)" ]; then
  report "system user" "unchanged (odg)"
else
  prefix=()
  if [ -n "$ROOT" ]; then
    mkdir -p "$ROOT/etc"
    prefix=(--prefix "$ROOT")
  fi
  useradd "${prefix[@]}" --system --user-group --home-dir "$DATA_PATH" --no-create-home \
    --shell /usr/sbin/nologin --comment "ODG server" odg
  report "system user" "changed (created odg)"
fi
ODG_UID=$(uid_of odg)
ODG_GID=$(gid_of odg)

# --- 4. directories -----------------------------------------------------------
CURRENT_STEP="directories"
dirs_changed=""
dirs_changed+=$(ensure_dir "$ENV_DIR" 750 0 "$ODG_GID")
dirs_changed+=$(ensure_dir "$DATA_PATH" 750 "$ODG_UID" "$ODG_GID")
dirs_changed+=$(ensure_dir "$BACKUP_PATH" 750 "$ODG_UID" "$ODG_GID")
dirs_changed+=$(ensure_dir /usr/share/odg 755 0 0)
dirs_changed+=$(ensure_dir "$DOC_PATH" 755 0 0)
dirs_changed+=$(ensure_dir "$ACME_PATH" 755 0 0)
if [ -n "$dirs_changed" ]; then
  report directories "changed ($ENV_DIR $DATA_PATH $BACKUP_PATH $ACME_PATH)"
else
  report directories "unchanged"
fi

# --- 5. /etc/odg/odg.env ------------------------------------------------------
CURRENT_STEP="env file"
ROLE_PASSWORD_NEW=""
if [ ! -f "$ROOT$ENV_PATH" ]; then
  DB_PASSWORD=$(random_hex 24)
  ROLE_PASSWORD_NEW=1
  partial="$ROOT$ENV_DIR/.odg.env.install-$$"
  (
    umask 077
    cat >"$partial" <<EOF
# ODG settings, written once by deploy/install.sh. Re-running install.sh
# keeps this file and its secrets; it only adds settings that are missing.
# systemd reads it (as root) for odg.service and odg-backup.service. Every
# setting, with its meaning and default: $DOC_PATH/odg.env.example.
# After editing: systemctl restart odg
ODG_ENV=production
DATABASE_URL=postgres://$DB_USER:$DB_PASSWORD@127.0.0.1:$PG_PORT/$DB_NAME
ODG_JWT_SECRET=$(random_base64 48)
ODG_BIND=127.0.0.1:8080
ODG_TRUSTED_PROXIES=127.0.0.1
ODG_DATA_DIR=$DATA_PATH
ODG_BACKUP_DIR=$BACKUP_PATH
ODG_WEB_DIR=$WEB_PATH
ODG_PUBLIC_READ=false
ODG_LOG_FORMAT=json
RUST_LOG=info
EOF
  )
  chown "0:$ODG_GID" "$partial"
  chmod 600 "$partial"
  mv -f "$partial" "$ROOT$ENV_PATH"
  report "env file" "changed (created $ENV_PATH with a new JWT secret and database password)"
  RESTART=1
else
  added=()
  if [ -z "$EXISTING_URL" ]; then
    DB_PASSWORD=$(random_hex 24)
    ROLE_PASSWORD_NEW=1
    echo "DATABASE_URL=postgres://$DB_USER:$DB_PASSWORD@127.0.0.1:$PG_PORT/$DB_NAME" >>"$ROOT$ENV_PATH"
    added+=(DATABASE_URL)
  fi
  if [ -z "$(env_get ODG_JWT_SECRET)" ]; then
    echo "ODG_JWT_SECRET=$(random_base64 48)" >>"$ROOT$ENV_PATH"
    added+=(ODG_JWT_SECRET)
  fi
  for pair in "ODG_DATA_DIR=$DATA_PATH" "ODG_BACKUP_DIR=$BACKUP_PATH" "ODG_WEB_DIR=$WEB_PATH"; do
    if ! grep -q "^[[:space:]]*${pair%%=*}=" "$ROOT$ENV_PATH"; then
      echo "$pair" >>"$ROOT$ENV_PATH"
      added+=("${pair%%=*}")
    fi
  done
  fixed=""
  if [ "$(stat -c '%a %u %g' "$ROOT$ENV_PATH")" != "600 0 $ODG_GID" ]; then
    chown "0:$ODG_GID" "$ROOT$ENV_PATH"
    chmod 600 "$ROOT$ENV_PATH"
    fixed="mode 0600 root:odg"
  fi
  if [ ${#added[@]} -gt 0 ] || [ -n "$fixed" ]; then
    report "env file" "changed (kept the existing secrets; added: ${added[*]:-nothing}${fixed:+; set $fixed})"
    RESTART=1
  else
    report "env file" "unchanged (secrets kept)"
  fi
fi

# --- 6. database role, database, PostGIS --------------------------------------
CURRENT_STEP="database role"
if [ -n "$(psql_admin <<<"SELECT 1 FROM pg_roles WHERE rolname = $(sql_quote "$DB_USER")")" ]; then
  if [ -n "$ROLE_PASSWORD_NEW" ]; then
    psql_admin <<<"ALTER ROLE \"$DB_USER\" LOGIN PASSWORD $(sql_quote "$DB_PASSWORD")"
    report "database role" "changed (role $DB_USER existed: its password is now the one in the new $ENV_PATH)"
  else
    report "database role" "unchanged ($DB_USER)"
  fi
else
  psql_admin <<<"CREATE ROLE \"$DB_USER\" LOGIN PASSWORD $(sql_quote "$DB_PASSWORD")"
  report "database role" "changed (created $DB_USER)"
fi

CURRENT_STEP="database"
if [ -n "$(psql_admin <<<"SELECT 1 FROM pg_database WHERE datname = $(sql_quote "$DB_NAME")")" ]; then
  report database "unchanged ($DB_NAME)"
else
  psql_admin <<<"CREATE DATABASE \"$DB_NAME\" OWNER \"$DB_USER\" ENCODING 'UTF8' TEMPLATE template0"
  report database "changed (created $DB_NAME, owned by $DB_USER)"
fi

CURRENT_STEP="postgis"
postgis_version=$(psql_admin "$DB_NAME" <<<"SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
if [ -n "$postgis_version" ]; then
  report postgis "unchanged (PostGIS $postgis_version in $DB_NAME)"
else
  psql_admin "$DB_NAME" <<<"CREATE EXTENSION postgis"
  report postgis "changed (CREATE EXTENSION postgis in $DB_NAME)"
fi

# --- 7. binary, web app, documentation -----------------------------------------
CURRENT_STEP="binary"
if [ -n "$(install_file "$BINARY" "$BIN_PATH" 755 0 0)" ]; then
  report binary "changed ($BIN_PATH: $("$ROOT$BIN_PATH" --version))"
  RESTART=1
else
  report binary "unchanged ($("$ROOT$BIN_PATH" --version))"
fi

CURRENT_STEP="odg-admin"
if [ -n "$(install_file "$HERE/odg-admin" "$ADMIN_TOOL_PATH" 755 0 0)" ]; then
  report odg-admin "changed ($ADMIN_TOOL_PATH: runs odg commands with $ENV_PATH as the odg user)"
else
  report odg-admin "unchanged ($ADMIN_TOOL_PATH)"
fi

CURRENT_STEP="web app"
if [ -z "$WEB" ]; then
  report "web app" "skipped (no frontend/dist: build it with cd frontend && npm ci && npm run build, or pass --web DIR)"
else
  target="$ROOT$WEB_PATH"
  same=""
  if [ -d "$target" ] && diff -r -q "$WEB" "$target" >/dev/null 2>&1 &&
    [ -z "$(find "$target" \( -type f ! -perm 644 \) -o \( -type d ! -perm 755 \) -o ! -user 0 | head -n 1)" ]; then
    same=1
  fi
  if [ -n "$same" ]; then
    report "web app" "unchanged ($WEB_PATH)"
  else
    staging="$target.install-$$"
    rm -rf "$staging"
    cp -r "$WEB" "$staging"
    chown -R 0:0 "$staging"
    find "$staging" -type d -exec chmod 755 {} +
    find "$staging" -type f -exec chmod 644 {} +
    if [ -d "$target" ]; then mv "$target" "$target.old-$$"; fi
    mv "$staging" "$target"
    rm -rf "$target.old-$$"
    report "web app" "changed ($WEB -> $WEB_PATH)"
    RESTART=1
  fi
fi

CURRENT_STEP="documentation"
docs=""
docs+=$(install_file "$HERE/README.md" "$DOC_PATH/README.md" 644 0 0)
docs+=$(install_file "$HERE/odg.env.example" "$DOC_PATH/odg.env.example" 644 0 0)
docs+=$(install_file "$HERE/cron/odg-backup" "$DOC_PATH/cron-odg-backup" 644 0 0)
if [ -n "$docs" ]; then report documentation "changed ($DOC_PATH)"; else report documentation "unchanged"; fi

# --- 8. migrations and the first administrator --------------------------------
CURRENT_STEP="migrations"
checks=$(run_odg doctor 2>/dev/null || true)
if grep -Eq '^OK +migrations' <<<"$checks"; then
  report migrations "unchanged (schema up to date)"
else
  out=$(run_odg migrate 2>&1) || die "odg migrate failed: $(tail -n 3 <<<"$out")"
  report migrations "changed (odg migrate applied the pending migrations)"
fi

CURRENT_STEP="admin account"
errors=$(mktemp)
accounts=$(run_odg user list 2>"$errors") || die "odg user list failed: $(tail -n 3 "$errors")"
rm -f "$errors"
if awk -v u="$ADMIN_USER" 'NR > 1 && ($2 == u || tolower($4) == "admin") { found = 1 } END { exit !found }' <<<"$accounts"; then
  report "admin account" "unchanged (an administrator exists)"
else
  shown=""
  if [ -n "$ADMIN_PASSWORD_FILE" ]; then
    IFS= read -r ADMIN_PASSWORD <"$ADMIN_PASSWORD_FILE" || true
  elif [ -n "${ODG_ADMIN_PASSWORD:-}" ]; then
    ADMIN_PASSWORD=$ODG_ADMIN_PASSWORD
  else
    ADMIN_PASSWORD=""
    while [ -z "$ADMIN_PASSWORD" ] || [[ "${ADMIN_PASSWORD,,}" == *"${ADMIN_USER,,}"* ]]; do
      ADMIN_PASSWORD=$(openssl rand -base64 32 | tr -dc 'A-Za-z0-9' | head -c 20)
    done
    shown=1
  fi
  [ -n "$ADMIN_PASSWORD" ] || die "the administrator's password is empty"
  # The password goes to odg on stdin, never on a command line.
  out=$(printf '%s\n' "$ADMIN_PASSWORD" | run_odg user create --admin --username "$ADMIN_USER" --email "$ADMIN_EMAIL" 2>&1) ||
    die "odg user create failed: $(tail -n 3 <<<"$out")"
  report "admin account" "changed (created $ADMIN_USER <$ADMIN_EMAIL>)"
  if [ -n "$shown" ]; then
    echo
    echo "  The administrator's password, shown this once (store it now; change it"
    echo "  later with: sudo odg-admin user reset-password --username $ADMIN_USER):"
    echo
    echo "    $ADMIN_USER / $ADMIN_PASSWORD"
    echo
  fi
  unset ADMIN_PASSWORD
fi

# --- 9. systemd units -----------------------------------------------------------
CURRENT_STEP="systemd units"
units_changed=()
for unit in "${UNITS[@]}"; do
  if [ -n "$(install_file "$HERE/systemd/$unit" "$UNIT_DIR/$unit" 644 0 0)" ]; then units_changed+=("$unit"); fi
done
if [ ${#units_changed[@]} -gt 0 ]; then
  if have_systemd; then systemctl daemon-reload; fi
  report "systemd units" "changed (${units_changed[*]})"
  RESTART=1
else
  report "systemd units" "unchanged"
fi

# Enables units: through systemd, or offline (symlinks under --root).
systemctl_root=()
[ -z "$ROOT" ] || systemctl_root=(--root="$ROOT")
is_enabled() { systemctl "${systemctl_root[@]}" is-enabled --quiet "$1" 2>/dev/null; }

CURRENT_STEP="service"
did=()
if ! is_enabled odg.service; then
  systemctl "${systemctl_root[@]}" enable --quiet odg.service 2>/dev/null
  did+=(enabled)
fi
if have_systemd; then
  if ! systemctl is-active --quiet odg.service; then
    systemctl start odg.service
    did+=(started)
  elif [ -n "$RESTART" ]; then
    systemctl restart odg.service
    did+=(restarted)
  fi
  bind=$(env_get ODG_BIND)
  bind=${bind:-127.0.0.1:8080}
  ready=""
  if [ ${#did[@]} -gt 0 ] || [ -n "$RESTART" ]; then
    for _ in $(seq 1 60); do
      if curl -fsS -o /dev/null "http://$bind/readyz" 2>/dev/null; then ready=1; break; fi
      sleep 1
    done
    [ -n "$ready" ] || die "odg.service is not ready on http://$bind/readyz after 60 s: see journalctl -u odg -n 50"
  fi
elif [ -n "$RESTART" ] || [ ${#did[@]} -gt 0 ]; then
  did+=("start or restart skipped: --no-systemd")
fi
if [ ${#did[@]} -gt 0 ]; then
  report service "changed (odg.service: $(joined "${did[@]}"))"
elif have_systemd; then
  report service "unchanged (odg.service enabled and running)"
else
  report service "unchanged (odg.service enabled)"
fi

CURRENT_STEP="backup timer"
if [ -f "$ROOT/etc/cron.d/odg-backup" ]; then
  # The administrator chose cron for the backups (deploy/README.md): not both.
  report "backup timer" "skipped (/etc/cron.d/odg-backup runs the daily backup)"
else
  did=()
  if ! is_enabled odg-backup.timer; then
    systemctl "${systemctl_root[@]}" enable --quiet odg-backup.timer 2>/dev/null
    did+=(enabled)
  fi
  if have_systemd && ! systemctl is-active --quiet odg-backup.timer; then
    systemctl start odg-backup.timer
    did+=(started)
  fi
  if [ ${#did[@]} -gt 0 ]; then
    report "backup timer" "changed (odg-backup.timer: $(joined "${did[@]}"); daily around 03:00 into $BACKUP_PATH)"
  else
    report "backup timer" "unchanged (odg-backup.timer enabled)"
  fi
fi

# --- 10. nginx site -----------------------------------------------------------------
CURRENT_STEP="nginx site"
site=$(mktemp)
previous=""
trap 'rm -f "$site" ${previous:+"$previous"}' EXIT
# The full HTTPS site of deploy/nginx/odg.conf for DOMAIN. Its certificate:
# Let's Encrypt's once certbot has one, else Debian's self-signed snakeoil
# (so that nginx starts, and certbot can then run).
live="/etc/letsencrypt/live/$DOMAIN"
snakeoil_cert=/etc/ssl/certs/ssl-cert-snakeoil.pem
snakeoil_key=/etc/ssl/private/ssl-cert-snakeoil.key
if [ -f "$ROOT$live/fullchain.pem" ] && [ -f "$ROOT$live/privkey.pem" ]; then
  letsencrypt=1
  mode="HTTPS, certificate $live/fullchain.pem"
else
  letsencrypt=0
  mode="HTTPS with the self-signed snakeoil certificate until you run: certbot --nginx -d $DOMAIN, then install.sh again"
  if [ -z "$ROOT" ] && [ ! -f "$snakeoil_cert" ]; then
    command -v make-ssl-cert >/dev/null || die "no $snakeoil_cert: apt-get install ssl-cert"
    make-ssl-cert generate-default-snakeoil
  fi
fi
{
  echo "# ODG behind nginx, for $DOMAIN: written by deploy/install.sh from"
  echo "# deploy/nginx/odg.conf, which explains each part. Re-running install.sh"
  echo "# replaces this file: make lasting changes there."
  # Its own header comment is about editing it by hand: left out.
  awk 'header && /^#/ { next } { header = 0; print }' header=1 "$HERE/nginx/odg.conf" |
    sed -e "s/odg\.example\.org/$DOMAIN/g" |
    if [ "$letsencrypt" = 1 ]; then
      sed -e "s#$snakeoil_cert#$live/fullchain.pem#" -e "s#$snakeoil_key#$live/privkey.pem#"
    else
      cat
    fi
} >"$site"
site_changed=()
if [ -f "$ROOT$SITE_PATH" ]; then
  previous=$(mktemp)
  cp -p "$ROOT$SITE_PATH" "$previous"
fi
if [ -n "$(install_file "$site" "$SITE_PATH" 644 0 0)" ]; then site_changed+=("$SITE_PATH"); fi
if [ "$(readlink "$ROOT$SITE_LINK" 2>/dev/null)" != "$SITE_PATH" ]; then
  mkdir -p "$(dirname "$ROOT$SITE_LINK")"
  ln -sfn "$SITE_PATH" "$ROOT$SITE_LINK"
  site_changed+=("$SITE_LINK")
fi
if [ -L "$ROOT$DEFAULT_SITE_LINK" ]; then
  # The distribution's welcome page would answer for unknown host names.
  rm -f "$ROOT$DEFAULT_SITE_LINK"
  site_changed+=("disabled the default site")
fi
if [ ${#site_changed[@]} -gt 0 ]; then
  if have_systemd; then
    if ! refused=$(nginx -t -q 2>&1); then
      if [ -n "$previous" ]; then cp -p "$previous" "$ROOT$SITE_PATH"; else rm -f "$ROOT$SITE_PATH" "$ROOT$SITE_LINK"; fi
      die "nginx -t refuses the new site (the previous one is back): $refused"
    fi
    if systemctl is-active --quiet nginx; then systemctl reload nginx; else systemctl enable --now nginx >/dev/null 2>&1; fi
    site_changed+=("nginx reloaded")
  else
    site_changed+=("nginx reload skipped: --no-systemd")
  fi
  report "nginx site" "changed ($(joined "${site_changed[@]}"); $mode)"
else
  report "nginx site" "unchanged ($DOMAIN, $mode)"
fi
[ -z "$previous" ] || rm -f "$previous"

CURRENT_STEP="done"
echo "ODG is installed: https://$DOMAIN/ (settings: $ENV_PATH; guide: $DOC_PATH/README.md)"
