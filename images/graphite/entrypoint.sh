#!/bin/bash
# Entrypoint of the graphite image. As root: make sure the whisper volume
# belongs to _graphite, then start over as _graphite. Then: make the web app's
# secret key and database when missing, and run carbon-cache and gunicorn in the
# foreground side by side; when either one exits the other is stopped and the
# container exits, so Docker restarts it.
set -eu

WHISPER_DIR=/var/lib/graphite/whisper
STATE_DIR="$WHISPER_DIR/.graphite-web"

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$WHISPER_DIR" /run/graphite
  # A volume made elsewhere may come owned by root (top level only: a big
  # whisper tree is not walked on every start).
  for dir in "$WHISPER_DIR" /run/graphite; do
    [ "$(stat -c %U "$dir")" = _graphite ] || chown _graphite:_graphite "$dir"
  done
  exec setpriv --reuid=_graphite --regid=_graphite --init-groups "$0" "$@"
fi

mkdir -p "$STATE_DIR"
chmod 0700 "$STATE_DIR"

if [ -z "${GRAPHITE_SECRET_KEY:-}" ] && [ ! -s "$STATE_DIR/secret_key" ]; then
  echo "graphite: generating the web app's secret key"
  ( umask 077
    head -c 48 /dev/urandom | base64 -w0 > "$STATE_DIR/secret_key.new"
    mv "$STATE_DIR/secret_key.new" "$STATE_DIR/secret_key" )
fi

# The marker is written only after a complete migration, so an interrupted
# first start migrates again.
if [ ! -e "$STATE_DIR/migrated" ] || [ ! -s "$STATE_DIR/graphite.db" ]; then
  echo "graphite: creating the web app's database"
  graphite-manage migrate --noinput --skip-checks --verbosity 0
  touch "$STATE_DIR/migrated"
fi

# a pid file left by a previous run of this container would stop carbon
rm -f /run/graphite/*.pid

# (twisted's ssh module, which carbon never uses, warns about old ciphers)
PYTHONWARNINGS=ignore:::twisted.conch.ssh.transport \
  carbon-cache --config=/etc/carbon/carbon.conf --nodaemon start &
carbon_pid=$!

gunicorn --config /etc/graphite/gunicorn.conf.py graphite.wsgi:application &
web_pid=$!

stopping=0
stop_all() {
  stopping=1
  kill -TERM "$carbon_pid" "$web_pid" 2>/dev/null || true
}
trap stop_all TERM INT

status=0
wait -n -p exited "$carbon_pid" "$web_pid" || status=$?
if [ "$stopping" = 0 ]; then
  name=gunicorn
  [ "${exited:-}" = "$carbon_pid" ] && name=carbon-cache
  echo "graphite: $name exited (status $status); stopping the other process" >&2
  stop_all
  stopping=0
fi
wait || true
if [ "$stopping" = 1 ]; then
  exit 0
fi
[ "$status" = 0 ] && status=1
exit "$status"
