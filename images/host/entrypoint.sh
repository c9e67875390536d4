#!/bin/bash
# Entrypoint of the host image: the Docker engine and sshd side by side. When
# either ends, the other is stopped and the container ends with its code, so
# Docker's restart policy (or whoever looks) sees a host that lost one of them.
# SIGTERM stops both: dockerd stops its containers first.
set -euo pipefail

: "${DEPLOY_AUTHORIZED_KEY:?the host needs DEPLOY_AUTHORIZED_KEY, the public key the deploy user logs in with}"
: "${DOCKERD_CGROUP_PARENT:?the host needs DOCKERD_CGROUP_PARENT, a cgroup of its own for its containers (/<container name>)}"

# First start only: a host key of its own (a restarted host keeps it, so its pin holds).
if [ ! -s /etc/ssh/ssh_host_ed25519_key ]; then
  ssh-keygen -q -t ed25519 -N '' -C "$(hostname)" -f /etc/ssh/ssh_host_ed25519_key
fi
printf '%s\n' "$DEPLOY_AUTHORIZED_KEY" > /etc/ssh/authorized_keys/deploy
chmod 0644 /etc/ssh/authorized_keys/deploy

# A host stopped with SIGKILL leaves dockerd's pid file behind, and dockerd refuses to start over it.
rm -f /var/run/docker.pid /var/run/docker/containerd/containerd.pid

# Given TLS files in /etc/docker/tls (ca.pem, server-cert.pem, server-key.pem), the
# engine also serves TCP 2376, to clients with a certificate that CA signed: a
# fleet may then name the host tcp://address:2376 instead of ssh://.
tls=()
if [ -s /etc/docker/tls/server-cert.pem ]; then
  tls=(-H unix:///var/run/docker.sock -H tcp://0.0.0.0:2376 --tlsverify
       --tlscacert /etc/docker/tls/ca.pem --tlscert /etc/docker/tls/server-cert.pem
       --tlskey /etc/docker/tls/server-key.pem)
fi

dockerd --cgroup-parent "$DOCKERD_CGROUP_PARENT" --data-root /var/lib/docker "${tls[@]}" &
dockerd_pid=$!
/usr/sbin/sshd -D -e &
sshd_pid=$!

stop() {
  kill -TERM "$sshd_pid" "$dockerd_pid" 2>/dev/null || true
  wait "$dockerd_pid" 2>/dev/null || true
  # dockerd removes its containers' cgroups but not their parent, which lives in the machine's cgroup tree.
  rmdir /sys/fs/cgroup/*/"${DOCKERD_CGROUP_PARENT#/}" 2>/dev/null || true
}
trap 'stop; exit 0' TERM INT

status=0
wait -n "$dockerd_pid" "$sshd_pid" || status=$?
echo "host: dockerd or sshd ended (status $status); stopping the other" >&2
stop
exit "$status"
