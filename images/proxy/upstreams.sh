#!/bin/sh
# proxy-upstreams: nginx's view of the web replicas, from WEB_UPSTREAM.
#   proxy-upstreams write [DRAINED...]   write the config files (the entrypoint, before nginx starts)
#   proxy-upstreams apply [DRAINED...]   write them, reload nginx, and wait until the old workers
#                                        have finished the requests they held (at most 10 s)
# WEB_UPSTREAM is one host:port (a name Docker's DNS answers for every replica
# on one host's network: resolved per request), or several (each replica's
# host:port across a fleet: an upstream group, balanced round-robin; a replica
# that fails a connection is skipped for 5 s and the request goes to the next).
# A DRAINED replica is marked down: no new request goes to it, while the
# requests it is serving finish (a graceful reload), so it can then be stopped.
set -eu

upstream="${WEB_UPSTREAM:-web:8080}"
case "$upstream" in
  '' | *[!A-Za-z0-9.:_\ -]*)
    echo "proxy: WEB_UPSTREAM must be host:port, or several separated by spaces; got '$upstream'" >&2
    exit 64
    ;;
esac
action="${1:-}"
[ "$action" = write ] || [ "$action" = apply ] || {
  echo "usage: proxy-upstreams write|apply [DRAINED host:port...]" >&2
  exit 64
}
shift
drained=" $* "

set -- $upstream
next_http=/run/nginx/upstreams.conf.next
next_location=/run/nginx/upstream.conf.next
if [ $# -eq 1 ]; then
  [ "$drained" = "  " ] || { echo "proxy: the only replica ($1) cannot be drained" >&2; exit 64; }
  : > "$next_http"
  printf 'set $web_upstream "%s";\n' "$1" > "$next_location"
else
  serving=0
  {
    echo 'upstream web_replicas {'
    for server in "$@"; do
      case "$drained" in
        *" $server "*) echo "    server $server down;" ;;
        *) echo "    server $server max_fails=1 fail_timeout=5s;"; serving=$((serving + 1)) ;;
      esac
    done
    echo '    keepalive 16;'
    echo '}'
  } > "$next_http"
  [ "$serving" -gt 0 ] || { echo "proxy: draining $* would leave no replica serving" >&2; exit 64; }
  echo 'set $web_upstream web_replicas;' > "$next_location"
fi
mv "$next_http" /run/nginx/upstreams.conf
mv "$next_location" /run/nginx/upstream.conf

[ "$action" = apply ] || exit 0
nginx -t -q -c /etc/nginx/nginx.conf
# The workers running now: once all are gone, every request is served by workers with the new list.
old_workers=$(grep -ls '^nginx: worker process' /proc/[0-9]*/cmdline | cut -d/ -f3 | tr '\n' ' ')
nginx -s reload -c /etc/nginx/nginx.conf
for _ in $(seq 1 100); do
  left=''
  for pid in $old_workers; do [ -d "/proc/$pid" ] && left="$left $pid"; done
  [ -n "$left" ] || exit 0
  sleep 0.1
done
echo "proxy: old workers ($left) still finishing requests after 10 s; going on" >&2
