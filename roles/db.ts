// db: PostgreSQL 15 from Debian; its data lives in a named volume.
import type { Role } from './role.ts';

export const db: Role = {
  name: 'db',
  image: { name: 'db' },
  // Across a fleet, the other hosts' roles connect from their hosts' addresses.
  // The password is the tier's own secret (prod's and princess's made at random; dev's is "shop").
  env: {
    POSTGRES_USER: 'shop',
    POSTGRES_PASSWORD: '{{secret:dbPassword}}',
    POSTGRES_DB: 'shop',
    CLIENT_HOSTS: '{{fleet:addresses}}',
  },
  ports: { postgres: 5432 },
  // On 127.0.0.1 only: psql for developers, and princess rebuilds read prod through it.
  publish: { postgres: 2 },
  volumes: [{ name: 'data', path: '/var/lib/postgresql/data', data: true }],
  healthCheck: {
    command: `PGCONNECT_TIMEOUT=2 PGPASSWORD="$POSTGRES_PASSWORD" psql -X -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -Atqc 'select 1' 2>/dev/null | grep -qx 1`,
  },
  dependsOn: [],
  replicas: 1,
  resources: { memoryMb: 384 },
};
