#!/bin/sh
# Writes the upstream address from WEB_UPSTREAM, then runs nginx in the
# foreground as PID 1 (daemon off is in nginx.conf).
set -eu

upstream="${WEB_UPSTREAM:-web:8080}"
case "$upstream" in
  '' | *[!A-Za-z0-9.:_-]*)
    echo "proxy: WEB_UPSTREAM must look like host:port, got '$upstream'" >&2
    exit 64
    ;;
esac

printf 'set $web_upstream "%s";\n' "$upstream" > /run/nginx/upstream.conf
exec nginx -e stderr -c /etc/nginx/nginx.conf "$@"
