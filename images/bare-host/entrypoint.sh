#!/bin/bash
# Entrypoint of the bare-host image: the machine's configuration from the
# environment, then sshd in the foreground (tini, from --init, is PID 1 and
# reaps what setup starts in the background, such as dockerd).
set -euo pipefail

: "${AUTHORIZED_KEY:?the bare host needs AUTHORIZED_KEY, the public key admin and guest log in with}"
: "${DOCKERD_CGROUP_PARENT:?the bare host needs DOCKERD_CGROUP_PARENT, a cgroup of its own for its containers (/<container name>)}"

# First start only: a host key of its own (a restarted host keeps it).
if [ ! -s /etc/ssh/ssh_host_ed25519_key ]; then
  ssh-keygen -q -t ed25519 -N '' -C "$(hostname)" -f /etc/ssh/ssh_host_ed25519_key
fi
for user in admin guest; do
  install -d -m 0700 -o "$user" -g "$user" "/home/$user/.ssh"
  printf '%s\n' "$AUTHORIZED_KEY" > "/home/$user/.ssh/authorized_keys"
  chown "$user:$user" "/home/$user/.ssh/authorized_keys"
  chmod 0600 "/home/$user/.ssh/authorized_keys"
done
mkdir -p /etc/docker
printf '{ "cgroup-parent": "%s" }\n' "$DOCKERD_CGROUP_PARENT" > /etc/docker/daemon.json

exec /usr/sbin/sshd -D -e
