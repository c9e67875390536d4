#!/bin/bash
# Entrypoint of the db image. As root: make sure the data directory belongs to
# postgres, then start over as postgres. As postgres: initialise the cluster if
# the data directory is empty, create the application's role and database when
# they are missing (or when POSTGRES_* changed), then exec postgres in the
# foreground as PID 1. Env: POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, and
# CLIENT_HOSTS (the fleet's other hosts, let in over the network).
set -eu

PGDATA="${PGDATA:-/var/lib/postgresql/data}"
CONF=/etc/postgresql/devenv/postgresql.conf
DB_USER="${POSTGRES_USER:-shop}"
DB_PASSWORD="${POSTGRES_PASSWORD:-shop}"
DB_NAME="${POSTGRES_DB:-shop}"
export PGDATA

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /run/postgresql
  # A volume made elsewhere may come owned by root.
  find "$PGDATA" /run/postgresql ! -user postgres -exec chown postgres:postgres {} +
  chmod 0700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -n "$(ls -A "$PGDATA")" ]; then
    echo "db: $PGDATA is not empty but holds no cluster (no PG_VERSION); not initialising over it" >&2
    exit 1
  fi
  echo "db: initialising a new cluster in $PGDATA"
  initdb --pgdata="$PGDATA" --username=postgres --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=peer --auth-host=scram-sha-256 >/dev/null
fi

# The role and database are (re)applied when the marker is missing (first
# start, or a first start that was interrupted) or POSTGRES_* changed.
marker="$PGDATA/devenv-provisioned"
# (v2: the app role may create databases: princess rebuilds a fresh one beside its live one)
wanted="$(printf 'v2\0%s\0%s\0%s' "$DB_USER" "$DB_NAME" "$DB_PASSWORD" | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$marker" 2>/dev/null || true)" != "$wanted" ]; then
  echo "db: creating role \"$DB_USER\" and database \"$DB_NAME\" when missing"
  # socket only while provisioning: nothing else can connect yet
  pg_ctl --pgdata="$PGDATA" --wait --timeout=60 --silent \
    -o "-c config_file=$CONF -c listen_addresses=''" start
  psql -X -q -v ON_ERROR_STOP=1 -h /run/postgresql -U postgres -d postgres \
    -v user="$DB_USER" -v password="$DB_PASSWORD" -v db="$DB_NAME" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'user') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN CREATEDB PASSWORD %L', :'user', :'password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL
  pg_ctl --pgdata="$PGDATA" --wait --silent -m fast stop
  printf '%s\n' "$wanted" > "$marker"
fi

# Across a fleet, the hosts whose roles connect (CLIENT_HOSTS, addresses
# separated by spaces) are let in too, with a password like everyone else.
hba=/run/postgresql/pg_hba.conf
cp /etc/postgresql/devenv/pg_hba.conf "$hba.next"
for address in ${CLIENT_HOSTS:-}; do
  case "$address" in
    *[!0-9.]* | '') echo "db: CLIENT_HOSTS holds '$address', not an IPv4 address" >&2; exit 64 ;;
  esac
  printf 'host    all       all       %s/32  scram-sha-256\n' "$address" >> "$hba.next"
done
mv "$hba.next" "$hba"

exec postgres -c config_file="$CONF" -c hba_file="$hba" "$@"
