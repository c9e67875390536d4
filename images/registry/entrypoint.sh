#!/bin/bash
# Entrypoint of the registry image. As root: copy the certificate and key from
# $DEVENV_HOME/registry into /run/registry (readable by docker-registry only),
# make the htpasswd from the password there, and read the addresses the
# certificate names. Then, as docker-registry: the registry on 127.0.0.1, one
# socat forwarder per other address (each retries until its address exists: the
# local fleet's network may be made after the registry), and a watch that ends
# the container when the files in the home change (a new certificate, another
# address), so that the restart policy starts it again on the new ones.
set -euo pipefail

: "${DEVENV_HOME:?the registry needs DEVENV_HOME, where devenv keeps its certificate and password}"
: "${PORT_HTTPS:?the registry needs PORT_HTTPS, the port it listens on}"
files="$DEVENV_HOME/registry"
watched=("$files/server.crt" "$files/server.key" "$files/password")
for file in "$files/ca.crt" "${watched[@]}"; do
  if [ ! -s "$file" ]; then
    echo "registry: $file is missing: run \`devenv ops up\`, which makes it" >&2
    exit 64
  fi
done

run=/run/registry
install -d -m 0700 -o docker-registry -g docker-registry "$run"
install -m 0644 "$files/server.crt" "$run/server.crt"
install -m 0600 -o docker-registry -g docker-registry "$files/server.key" "$run/server.key"
# The password goes in on stdin, never on a command line.
htpasswd -iBC 10 -c "$run/htpasswd" devenv < "$files/password" 2>/dev/null
chown docker-registry:docker-registry "$run/htpasswd"
chmod 0600 "$run/htpasswd"
chown docker-registry:docker-registry /var/lib/docker-registry

as_registry() { setpriv --reuid=docker-registry --regid=docker-registry --init-groups "$@"; }
fingerprint() { cat "${watched[@]}" | sha256sum; }
started="$(fingerprint)"

REGISTRY_HTTP_ADDR="127.0.0.1:$PORT_HTTPS" as_registry docker-registry serve /etc/docker/registry/config.yml &
pids=("$!")

forward() {
  local address="$1" waiting=''
  while :; do
    if ! as_registry socat "TCP-LISTEN:$PORT_HTTPS,bind=$address,reuseaddr,fork" "TCP:127.0.0.1:$PORT_HTTPS" 2>/dev/null; then
      [ -n "$waiting" ] || echo "registry: waiting for $address to exist on this machine to listen on it" >&2
      waiting=yes
    fi
    sleep 2
  done
}
for address in $(openssl x509 -in "$run/server.crt" -noout -ext subjectAltName | grep -o 'IP Address:[0-9.]*' | cut -d: -f2); do
  [ "$address" = 127.0.0.1 ] && continue
  echo "registry: also on $address:$PORT_HTTPS"
  forward "$address" &
  pids+=("$!")
done

watch() {
  while sleep 5; do
    if [ "$(fingerprint 2>/dev/null || true)" != "$started" ]; then
      echo "registry: its certificate or password changed in $files; stopping to start again on the new ones" >&2
      return 0
    fi
  done
}
watch &
watcher=$!

stop() {
  kill -TERM "${pids[@]}" "$watcher" 2>/dev/null || true
  wait "${pids[0]}" 2>/dev/null || true
}
trap 'stop; exit 0' TERM INT

status=0
wait -n "${pids[0]}" "$watcher" || status=$?
stop
# Ended by the watch: exit 1 so that every restart policy starts it again.
exit $((status == 0 ? 1 : status))
