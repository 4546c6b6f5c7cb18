#!/usr/bin/env bash
# Tests deploy/install.sh in a throwaway root (--root DIR --no-systemd
# --skip-packages), against the local PostgreSQL cluster with a throwaway
# database and role, as root:
#   1. the first run installs everything (every step "changed" or "skipped");
#   2. the second run changes nothing: every step says "unchanged" (packages:
#      "skipped"), every file it wrote is byte-for-byte the same with the same
#      mode, owner and mtime, the secrets and the role's password are the
#      same, and so is every row of the database;
#   3. the installed configuration works: systemd-analyze verify accepts the
#      installed units, the installed binary started as the odg user with the
#      written env file (paths moved under the throwaway root) answers
#      /readyz, the printed admin password signs in, nginx -t accepts the
#      installed site and nginx proxies to the server with it, odg doctor is
#      all OK and odg backup writes a dump into the backup directory;
#   4. an upgrade (new binary, a Let's Encrypt certificate now present)
#      replaces only the binary and the nginx site (now naming that
#      certificate instead of the snakeoil one), restarts the service, keeps
#      the secrets and the data;
#   5. the same install at the real paths (no --root), twice, inside
#      `unshare --mount` with overlays on /etc, /usr and /var (skipped where
#      mount namespaces are not allowed), and `odg-admin doctor` there.
# Needs: ODG_TEST_POSTGRES_URL (scripts/test.sh sets it; without it the test
# is skipped, or fails under CI), the odg binary as $ODG_BIN (default
# ${CARGO_TARGET_DIR:-/var/tmp/odg-target}/debug/odg), nginx, curl,
# systemd-analyze (optional). Runs in about 20 s.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
started=$(date +%s)

ODG_BIN=${ODG_BIN:-${CARGO_TARGET_DIR:-/var/tmp/odg-target}/debug/odg}
fail() {
  echo "test-install: FAILED: $*" >&2
  exit 1
}
[ "$(id -u)" -eq 0 ] || fail "run as root (install.sh creates users and talks to PostgreSQL as postgres)"
[ -x "$ODG_BIN" ] || fail "no odg binary at $ODG_BIN (cargo build, or set ODG_BIN)"
if [ -z "${ODG_TEST_POSTGRES_URL:-}" ]; then
  [ -z "${CI:-}" ] || fail "CI must set ODG_TEST_POSTGRES_URL (run ./scripts/test.sh)"
  echo "test-install: skipped: ODG_TEST_POSTGRES_URL is not set (./scripts/test.sh sets it)"
  exit 0
fi
[[ "$ODG_TEST_POSTGRES_URL" =~ @[^:/]+:([0-9]+)/ ]] && PG_PORT=${BASH_REMATCH[1]} || PG_PORT=5432
for tool in curl nginx openssl runuser setpriv; do command -v "$tool" >/dev/null || fail "$tool is missing"; done

NAME="odg_test_install_$(openssl rand -hex 4)"
DOMAIN=odg.install-test.example
WORK=$(mktemp -d /tmp/odg-test-install.XXXXXX)
ROOT="$WORK/root"
WEB="$WORK/web"
mkdir -p "$ROOT" "$WEB/assets"
# The odg user (created in the throwaway root) runs the installed binary.
chmod 755 "$WORK" "$ROOT"
echo '<!doctype html><title>ODG</title>' >"$WEB/index.html"
echo 'console.log("odg")' >"$WEB/assets/index-3f2a1b.js"

psql_admin() { (cd / && runuser -u postgres -- psql -X -q -A -t -v ON_ERROR_STOP=1 -p "$PG_PORT" -d "${1:-postgres}"); }

pids=()
stop() { # pid: SIGTERM, then wait until it is gone
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}
cleanup() {
  for pid in "${pids[@]}"; do stop "$pid"; done
  [ ! -f "$WORK/nginx.conf" ] || nginx -c "$WORK/nginx.conf" -s stop 2>/dev/null || true
  psql_admin <<<"DROP DATABASE IF EXISTS \"$NAME\" WITH (FORCE); DROP ROLE IF EXISTS \"$NAME\";" || true
  rm -rf "$WORK"
}
trap cleanup EXIT
# Roles left by an interrupted earlier run (their databases are dropped by
# scripts/test.sh, or here).
for old in $(psql_admin <<<"SELECT rolname FROM pg_roles WHERE rolname LIKE 'odg\_test\_install\_%'"); do
  psql_admin <<<"DROP DATABASE IF EXISTS \"$old\" WITH (FORCE); DROP ROLE IF EXISTS \"$old\";" >/dev/null
done

run_install() { # output-file [extra options]
  local out=$1
  shift
  if ! deploy/install.sh --root "$ROOT" --no-systemd --skip-packages --pg-port "$PG_PORT" \
    --db-name "$NAME" --db-user "$NAME" "$@" >"$out" 2>&1; then
    mask <"$out" >&2
    fail "install.sh failed"
  fi
}
# The one-time admin password never reaches the test log.
mask() { sed -E 's#^(    admin / ).*#\1***#'; }
step_lines() { grep -E '^[a-z][a-z ]*: +(changed|unchanged|skipped)' "$1"; }

# Everything the installer wrote: type, mode, owner, size, mtime, content.
snapshot() {
  (
    cd "$ROOT"
    find . -printf '%y %m %U:%G %s %T@ %p -> %l\n' | sort -k7
    find . -type f -print0 | sort -z | xargs -0 sha256sum
  )
  # The role's password verifier (a reset would change its salt) and every
  # row of the database.
  psql_admin <<<"SELECT rolname, md5(rolpassword) FROM pg_authid WHERE rolname = '$NAME'"
  # (pg_dump's \restrict line has a random key per run.)
  (cd / && runuser -u postgres -- pg_dump -p "$PG_PORT" --no-owner "$NAME") | grep -v '^\\\(un\)\?restrict ' | sha256sum
}

echo "==> first run of deploy/install.sh (throwaway root $ROOT, database $NAME)"
run_install "$WORK/run1.txt" --binary "$ODG_BIN" --web "$WEB" --domain "$DOMAIN"
mask <"$WORK/run1.txt"
ADMIN_PASSWORD=$(sed -nE 's#^    admin / (.+)$#\1#p' "$WORK/run1.txt")
[ -n "$ADMIN_PASSWORD" ] || fail "the first run did not print the administrator's password"
if step_lines "$WORK/run1.txt" | grep -Ev ': +(changed|skipped \(--skip-packages\)|unchanged \(accepting connections)'; then
  fail "on a fresh root, every step should have changed something (see above)"
fi
env_file="$ROOT/etc/odg/odg.env"
[ "$(stat -c '%a %U' "$env_file")" = "600 root" ] || fail "odg.env is not mode 0600 owned by root"
[ "$(stat -c '%g' "$env_file")" = "$(awk -F: '$1 == "odg" { print $3 }' "$ROOT/etc/group")" ] ||
  fail "odg.env is not group odg"
grep -q '^ODG_WEB_DIR=/usr/share/odg/web$' "$env_file" || fail "odg.env lacks ODG_WEB_DIR"
snapshot >"$WORK/before.txt"

echo "==> second run: must change nothing"
run_install "$WORK/run2.txt" --binary "$ODG_BIN" --web "$WEB" --domain "$DOMAIN"
mask <"$WORK/run2.txt"
grep -q 'admin / ' "$WORK/run2.txt" && fail "the second run printed a password"
[ "$(step_lines "$WORK/run1.txt" | cut -d: -f1)" = "$(step_lines "$WORK/run2.txt" | cut -d: -f1)" ] ||
  fail "the two runs did not report the same steps"
if step_lines "$WORK/run2.txt" | grep -Ev ': +(unchanged|skipped \(--skip-packages\))'; then
  fail "the second run changed something (see above)"
fi
snapshot >"$WORK/after.txt"
diff -u "$WORK/before.txt" "$WORK/after.txt" >&2 ||
  fail "the second run changed files, secrets or data (diff above)"
echo "    same $(grep -c '' "$WORK/before.txt") entries: files (content, mode, owner, mtime), role password, database dump"

# The installed settings, as systemd passes them to the service, with the
# paths moved under the throwaway root and a free port.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
ODG_UID=$(awk -F: '$1 == "odg" { print $3 }' "$ROOT/etc/passwd")
ODG_GID=$(awk -F: '$1 == "odg" { print $3 }' "$ROOT/etc/group")
as_service() { # command...: as the odg user, with only the env file's settings
  (
    cd /
    while IFS= read -r name; do unset "$name" 2>/dev/null || true; done < <(compgen -e)
    export PATH=/usr/local/bin:/usr/bin:/bin
    while IFS= read -r line; do
      [[ "$line" =~ ^([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] && export "${BASH_REMATCH[1]}=${BASH_REMATCH[2]}"
    done <"$env_file"
    export ODG_BIND="127.0.0.1:$PORT" ODG_DATA_DIR="$ROOT/var/lib/odg" ODG_BACKUP_DIR="$ROOT/var/backups/odg" \
      ODG_WEB_DIR="$ROOT/usr/share/odg/web"
    echo "$BASHPID" >"$WORK/service.pid" # exec keeps it: the process to stop
    exec setpriv --reuid="$ODG_UID" --regid="$ODG_GID" --clear-groups -- "$@"
  )
}

if command -v systemd-analyze >/dev/null; then
  echo "==> systemd-analyze verify on the installed units"
  mkdir -p "$WORK/units"
  for unit in odg.service odg-backup.service odg-backup.timer; do
    sed -e "s#/usr/local/bin/odg#$ROOT/usr/local/bin/odg#g" -e "s#/etc/odg/odg.env#$env_file#g" \
      "$ROOT/etc/systemd/system/$unit" >"$WORK/units/$unit"
  done
  systemd-analyze verify "$WORK/units/"* || fail "systemd-analyze verify refused the installed units"
  for link in multi-user.target.wants/odg.service timers.target.wants/odg-backup.timer; do
    [ -L "$ROOT/etc/systemd/system/$link" ] || fail "$link is not enabled"
  done
else
  echo "==> systemd-analyze is not installed: unit check skipped"
fi

echo "==> the installed binary with the installed settings, as the odg user"
as_service "$ROOT/usr/local/bin/odg" doctor >"$WORK/doctor.txt" 2>/dev/null || {
  cat "$WORK/doctor.txt" >&2
  fail "odg doctor failed with the installed settings"
}
sed 's/^/    /' "$WORK/doctor.txt"
rm -f "$WORK/service.pid"
as_service "$ROOT/usr/local/bin/odg" serve </dev/null >"$WORK/serve.log" 2>&1 &
for _ in $(seq 1 50); do [ -s "$WORK/service.pid" ] && break; sleep 0.1; done
pids+=("$(cat "$WORK/service.pid")")
base="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "$base/readyz" 2>/dev/null && break
  sleep 0.1
done
[ "$(curl -sS "$base/readyz")" = ready ] || {
  tail -n 20 "$WORK/serve.log" >&2
  fail "/readyz is not ready with the installed settings"
}
echo "    /readyz: ready"
gql() { # token query
  curl -fsS "$base/graphql" -H 'Content-Type: application/json' ${1:+-H "Authorization: Bearer $1"} --data "$2"
}
# shellcheck disable=SC2016 # $p is a GraphQL variable
login=$(python3 -c 'import json, sys; print(json.dumps({"query": "mutation($p: String!) { login(identifier: \"admin\", password: $p) { accessToken user { role } } }", "variables": {"p": sys.stdin.read().strip()}}))' <<<"$ADMIN_PASSWORD")
answer=$(gql "" "$login")
token=$(python3 -c 'import json, sys; d = json.load(sys.stdin); assert d["data"]["login"]["user"]["role"] == "ADMIN", d; print(d["data"]["login"]["accessToken"])' <<<"$answer") ||
  fail "the printed admin password does not sign in: $answer"
echo "    the printed admin password signs in (role ADMIN)"
answer=$(gql "$token" '{"query": "{ deposits { totalCount } }"}')
grep -q '"totalCount":0' <<<"$answer" || fail "GraphQL query failed: $answer"
echo "    GraphQL answers: $answer"

echo "==> nginx with the installed site, in front of the installed server"
# The site as installed, on loopback ports and pointing at this server; the
# certificate stays Debian's snakeoil, as on a server before certbot.
HTTP_PORT=$(free_port)
HTTPS_PORT=$(free_port)
site_for_test() {
  sed -e "s#server 127.0.0.1:8080;#server 127.0.0.1:$PORT;#" -e '/listen \[::\]/d' \
    -e "s#listen 80;#listen 127.0.0.1:$HTTP_PORT;#" -e "s#listen 443 ssl http2;#listen 127.0.0.1:$HTTPS_PORT ssl http2;#" \
    -e "s#root /var/www/certbot;#root $ROOT/var/www/certbot;#" -e "s#/etc/letsencrypt/#$ROOT/etc/letsencrypt/#g" \
    "$ROOT/etc/nginx/sites-available/odg" >"$WORK/site.conf"
}
site_for_test
grep -q 'ssl_certificate /etc/ssl/certs/ssl-cert-snakeoil.pem;' "$WORK/site.conf" ||
  fail "without a Let's Encrypt certificate, the site should use the snakeoil one"
printf 'pid %s/nginx.pid;\nerror_log %s/nginx-error.log;\nevents {}\nhttp {\n include /etc/nginx/mime.types;\n access_log off;\n client_body_temp_path %s/body;\n proxy_temp_path %s/proxy;\n include %s;\n}\n' \
  "$WORK" "$WORK" "$WORK" "$WORK" "$WORK/site.conf" >"$WORK/nginx.conf"
nginx -t -q -c "$WORK/nginx.conf" || fail "nginx -t refuses the installed site"
nginx -c "$WORK/nginx.conf"
https=(curl -sS -k --resolve "$DOMAIN:$HTTPS_PORT:127.0.0.1")
for _ in $(seq 1 50); do
  "${https[@]}" -fo /dev/null "https://$DOMAIN:$HTTPS_PORT/readyz" 2>/dev/null && break
  sleep 0.1
done
via=$("${https[@]}" "https://$DOMAIN:$HTTPS_PORT/graphql" -H 'Content-Type: application/json' \
  -H "Authorization: Bearer $token" --data '{"query": "{ deposits { totalCount } }"}')
grep -q '"totalCount":0' <<<"$via" || fail "GraphQL through nginx failed: $via"
echo "    GraphQL through nginx over HTTPS (snakeoil certificate): $via"
redirect=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' -H "Host: $DOMAIN" "http://127.0.0.1:$HTTP_PORT/graphiql")
[[ "$redirect" == "301 https://$DOMAIN/graphiql" ]] || fail "HTTP does not redirect to HTTPS: $redirect"
echo "    HTTP redirects to HTTPS: $redirect"
nginx -c "$WORK/nginx.conf" -s stop 2>/dev/null

echo "==> odg backup with the installed settings, as the odg user"
as_service "$ROOT/usr/local/bin/odg" backup 2>/dev/null | sed 's/^/    /'
dump=$(find "$ROOT/var/backups/odg" -name 'odg-*.dump' | head -n 1)
[ -n "$dump" ] || fail "odg backup wrote no dump into /var/backups/odg"
[ "$(stat -c '%U' "$dump")" = "$(stat -c '%U' "$ROOT/var/lib/odg")" ] || fail "the dump is not owned by odg"
pg_restore --list "$dump" >"$WORK/dump-list.txt"
grep -q 'TABLE DATA public deposit ' "$WORK/dump-list.txt" || fail "the dump holds no deposit table"
stop "${pids[0]}"
pids=()

echo "==> upgrade: a new binary, and a certificate for $DOMAIN now exists"
cp "$ODG_BIN" "$WORK/odg-new"
printf '\n' >>"$WORK/odg-new" # another build: different bytes, same program
live="$ROOT/etc/letsencrypt/live/$DOMAIN"
mkdir -p "$live"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=$DOMAIN" -keyout "$live/privkey.pem" \
  -out "$live/fullchain.pem" 2>/dev/null
secrets_before=$(sha256sum "$env_file")
run_install "$WORK/run3.txt" --binary "$WORK/odg-new" --web "$WEB"
mask <"$WORK/run3.txt"
changed=$(step_lines "$WORK/run3.txt" | grep -E ': +changed' | cut -d: -f1 | tr '\n' ',')
[ "$changed" = "binary,service,nginx site," ] || fail "the upgrade changed [$changed], expected binary, service, nginx site"
grep -q '^service: .*restart skipped' "$WORK/run3.txt" || fail "the upgrade did not (stub-)restart the service"
[ "$(sha256sum "$env_file")" = "$secrets_before" ] || fail "the upgrade changed odg.env"
grep -q "ssl_certificate /etc/letsencrypt/live/$DOMAIN/fullchain.pem;" "$ROOT/etc/nginx/sites-available/odg" ||
  fail "with a Let's Encrypt certificate, the site does not use it"
site_for_test
nginx -t -q -c "$WORK/nginx.conf" || fail "nginx -t refuses the installed site with the Let's Encrypt certificate"
echo "    the site now names the Let's Encrypt certificate, and nginx -t accepts it"
rows=$(psql_admin "$NAME" <<<"SELECT count(*) FROM app_user WHERE username = 'admin' AND role = 'ADMIN'")
[ "$rows" = 1 ] || fail "the administrator is gone after the upgrade"
run_install "$WORK/run4.txt" --binary "$WORK/odg-new" --web "$WEB"
if step_lines "$WORK/run4.txt" | grep -Ev ': +(unchanged|skipped \(--skip-packages\))'; then
  fail "a run after the upgrade changed something (see above)"
fi
echo "    a further run: every step unchanged"
# Backups through cron instead of the timer (deploy/README.md): the
# installer leaves the timer alone.
mkdir -p "$ROOT/etc/cron.d"
cp deploy/cron/odg-backup "$ROOT/etc/cron.d/odg-backup"
run_install "$WORK/run5.txt" --binary "$WORK/odg-new" --web "$WEB"
grep -q '^backup timer: *skipped (/etc/cron.d/odg-backup' "$WORK/run5.txt" || fail "with the cron line, the timer step is not skipped"
if step_lines "$WORK/run5.txt" | grep -Ev ': +(unchanged|skipped \((--skip-packages|/etc/cron.d/odg-backup))'; then
  fail "with the cron line, a run changed something (see above)"
fi
echo "    with /etc/cron.d/odg-backup, the timer step is skipped and nothing changes"

# The same install at the real paths (no --root): in a private mount
# namespace whose /etc, /usr and /var are overlays, so that the host sees
# nothing of it. Covers the paths that --root replaces, and odg-admin.
echo "==> at the real paths, in a mount namespace with overlays on /etc, /usr, /var"
if unshare --mount true 2>/dev/null; then
  NS="$WORK/ns"
  for d in etc usr var; do mkdir -p "$NS/$d-up" "$NS/$d-work"; done
  cat >"$NS/run.sh" <<'SCRIPT'
set -euo pipefail
# Only ever run inside `unshare --mount`: the overlays vanish with it.
for d in etc usr var; do
  mount -t overlay overlay -o "lowerdir=/$d,upperdir=$NS/$d-up,workdir=$NS/$d-work" "/$d"
done
for i in 1 2; do
  deploy/install.sh --no-systemd --skip-packages --pg-port "$PG_PORT" --binary "$ODG_BIN" --web "$WEB" \
    --domain "$DOMAIN" --db-name "${NAME}_ns" --db-user "${NAME}_ns" >"$NS/run$i.txt" 2>&1
done
id odg >/dev/null
odg-admin doctor >"$NS/doctor.txt" 2>/dev/null
SCRIPT
  drop_ns() { psql_admin <<<"DROP DATABASE IF EXISTS \"${NAME}_ns\" WITH (FORCE); DROP ROLE IF EXISTS \"${NAME}_ns\";"; }
  export NS PG_PORT ODG_BIN WEB DOMAIN NAME
  host_before=$(sha256sum /etc/passwd /etc/group; ls -la /etc /usr/local/bin /usr/local/sbin /var/lib /var/backups)
  if ! unshare --mount bash "$NS/run.sh"; then
    cat "$NS"/run*.txt "$NS/doctor.txt" 2>/dev/null | mask >&2
    drop_ns || true
    fail "install.sh at the real paths failed"
  fi
  drop_ns
  grep -q '^system user: *changed (created odg)' "$NS/run1.txt" || fail "the first run at the real paths did not create odg"
  if step_lines "$NS/run2.txt" | grep -Ev ': +(unchanged|skipped \(--skip-packages\))'; then
    fail "the second run at the real paths changed something (see above)"
  fi
  [ "$(grep -c '^OK ' "$NS/doctor.txt")" = 5 ] || fail "odg-admin doctor is not all OK: $(cat "$NS/doctor.txt")"
  [ -f "$NS/etc-up/odg/odg.env" ] || fail "the env file did not land in the overlay"
  [ "$(sha256sum /etc/passwd /etc/group; ls -la /etc /usr/local/bin /usr/local/sbin /var/lib /var/backups)" = "$host_before" ] ||
    fail "the install in the namespace changed the host"
  echo "    two runs (the second: every step unchanged), odg-admin doctor all OK, nothing written outside the overlays"
else
  echo "    skipped: unshare --mount is not allowed here"
fi

echo "==> install.sh test passed in $(($(date +%s) - started)) s"
