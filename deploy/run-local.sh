#!/usr/bin/env bash
# Start the scale-out deployment on this host: two webhook workers and one sender/scheduler worker behind
# an nginx load balancer, on PostgreSQL (and Redis for wake-ups when FRONTDESK_REDIS_URL is set), run by
# honcho from deploy/Procfile. Ctrl-C or SIGTERM stops everything.
#
#   TELEGRAM_BOT_TOKEN=... FRONTDESK_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/frontdesk \
#   FRONTDESK_PUBLIC_URL=https://bot.example.com deploy/run-local.sh
#
# Exit code 3: nginx is not installed and cannot be installed here.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$ROOT/.venv/bin:$PATH"

: "${TELEGRAM_BOT_TOKEN:?set TELEGRAM_BOT_TOKEN}"
export FRONTDESK_DATABASE_URL="${FRONTDESK_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/frontdesk}"
export FRONTDESK_REDIS_URL="${FRONTDESK_REDIS_URL-redis://127.0.0.1:6379/0}"  # set it empty to poll only
export FRONTDESK_WEB1_PORT="${FRONTDESK_WEB1_PORT:-8081}"
export FRONTDESK_WEB2_PORT="${FRONTDESK_WEB2_PORT:-8082}"
export FRONTDESK_WORKER_PORT="${FRONTDESK_WORKER_PORT:-8090}"
export FRONTDESK_PROXY_HOST="${FRONTDESK_PROXY_HOST:-127.0.0.1}"
export FRONTDESK_PROXY_PORT="${FRONTDESK_PROXY_PORT:-8080}"
export FRONTDESK_RUN_DIR="${FRONTDESK_RUN_DIR:-$ROOT/var/deploy}"

find_nginx() {
    command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true
}
FRONTDESK_NGINX="${FRONTDESK_NGINX:-$(find_nginx)}"
if [ -z "$FRONTDESK_NGINX" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "run-local: installing nginx (Debian package nginx-light)…" >&2
    (apt-get install -y -qq nginx-light >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq nginx-light >/dev/null 2>&1; }) || true
    FRONTDESK_NGINX="$(find_nginx)"
fi
if [ -z "$FRONTDESK_NGINX" ]; then
    echo "run-local: nginx is not installed (apt-get install nginx-light)" >&2
    exit 3
fi
export FRONTDESK_NGINX

# nginx's own variables ($host …) stay; only ${FRONTDESK_…} placeholders are filled in.
mkdir -p "$FRONTDESK_RUN_DIR/tmp"
if [ "$(id -u)" = 0 ]; then export FRONTDESK_NGINX_USER="user root;"; else export FRONTDESK_NGINX_USER=""; fi
python3 - "$ROOT/deploy/nginx.conf.template" "$FRONTDESK_RUN_DIR/nginx.conf" <<'PY'
import os, re, sys
template = open(sys.argv[1], encoding="utf-8").read()
open(sys.argv[2], "w", encoding="utf-8").write(
    re.sub(r"\$\{(FRONTDESK_[A-Z0-9_]+)\}", lambda m: os.environ[m.group(1)], template)
)
PY

frontdesk db upgrade  # once, before any worker starts
if [ -n "${FRONTDESK_PUBLIC_URL:-}" ]; then
    frontdesk set-webhook "$FRONTDESK_PUBLIC_URL"
fi
exec honcho start -f "$ROOT/deploy/Procfile" -d "$ROOT"
