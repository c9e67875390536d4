#!/bin/sh
# Writes the web replicas' addresses from WEB_UPSTREAM (proxy-upstreams), then
# runs nginx in the foreground as PID 1 (daemon off is in nginx.conf).
set -eu
proxy-upstreams write
exec nginx -e stderr -c /etc/nginx/nginx.conf "$@"
