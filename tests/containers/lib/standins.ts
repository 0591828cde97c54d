import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageExists, podman } from './podman';

// Stand-ins for the official postgres and redis images (Docker Hub is not reachable here), built
// from the Debian base with Debian's packages. They honour what docker/compose.yaml asks of the
// official images: POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB create the role and database
// on first start, data under /var/lib/postgresql/data, pg_isready and redis-cli for health
// checks, `redis-server <args>` as the command, data under /data.

const POSTGRES_ENTRYPOINT = `#!/bin/sh
set -eu
export PGDATA=/var/lib/postgresql/data
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  printf '%s\\n' "$POSTGRES_PASSWORD" > /tmp/pwfile
  initdb --username="$POSTGRES_USER" --pwfile=/tmp/pwfile --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm /tmp/pwfile
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  pg_ctl -w -o "-c listen_addresses=''" start >/dev/null
  if [ "$POSTGRES_DB" != "postgres" ]; then createdb --username="$POSTGRES_USER" "$POSTGRES_DB"; fi
  pg_ctl -w stop >/dev/null
fi
exec postgres -c listen_addresses='*' "$@"
`;

const REDIS_ENTRYPOINT = `#!/bin/sh
set -eu
# As the official image: a container's Redis is reached from other containers, without a password.
if [ "\${1:-}" = "redis-server" ]; then shift; exec redis-server --protected-mode no "$@"; fi
exec "$@"
`;

async function buildStandin(tag: string, debianImage: string, lines: string[], entrypoint: string): Promise<void> {
  if (await imageExists(tag)) return;
  const ctx = mkdtempSync(join(tmpdir(), 'vaults-standin-'));
  try {
    writeFileSync(join(ctx, 'entrypoint.sh'), entrypoint, { mode: 0o755 });
    writeFileSync(join(ctx, 'Containerfile'), [`FROM ${debianImage}`, ...lines, 'COPY entrypoint.sh /usr/local/bin/entrypoint.sh', 'ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]', ''].join('\n'));
    await podman(['build', '--network', 'host', '-t', tag, ctx], { timeoutMs: 10 * 60_000 });
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}

export const POSTGRES_STANDIN = 'localhost/vaults-ci/postgres:standin';
export const REDIS_STANDIN = 'localhost/vaults-ci/redis:standin';

export async function buildStandins(debianImage: string): Promise<void> {
  await buildStandin(
    POSTGRES_STANDIN,
    debianImage,
    [
      'RUN apt-get update && apt-get install -y --no-install-recommends postgresql-15 && rm -rf /var/lib/apt/lists/*',
      'RUN mkdir -p /var/lib/postgresql/data /var/run/postgresql && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql',
      'ENV PATH=/usr/lib/postgresql/15/bin:$PATH',
      'USER postgres',
      'CMD []',
    ],
    POSTGRES_ENTRYPOINT,
  );
  await buildStandin(
    REDIS_STANDIN,
    debianImage,
    ['RUN apt-get update && apt-get install -y --no-install-recommends redis-server && rm -rf /var/lib/apt/lists/*', 'WORKDIR /data', 'CMD ["redis-server"]'],
    REDIS_ENTRYPOINT,
  );
}
