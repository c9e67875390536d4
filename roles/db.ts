// db: PostgreSQL 15 from Debian; its data lives in a named volume.
import type { Role } from './role.ts';

export const db: Role = {
  name: 'db',
  image: { name: 'db' },
  env: { POSTGRES_USER: 'shop', POSTGRES_PASSWORD: 'shop', POSTGRES_DB: 'shop' },
  ports: { postgres: 5432 },
  publish: {},
  volumes: [{ name: 'data', path: '/var/lib/postgresql/data', data: true }],
  healthCheck: { command: "pg_isready -q -h 127.0.0.1 -U shop -d shop && PGPASSWORD=shop psql -h 127.0.0.1 -U shop -d shop -tAc 'select 1' >/dev/null" },
  dependsOn: [],
  replicas: 1,
  resources: { memoryMb: 384 },
};
