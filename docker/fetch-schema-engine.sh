#!/bin/sh
# Puts Prisma's native schema engine at <dir>/schema-engine (the migrate image's `prisma migrate
# deploy` needs it): `prisma version` downloads it from Prisma's binary host, at build time.
# Without it the image could only apply the migration SQL (platform/migrate.ts), which a
# production image should not do silently: the build fails unless ALLOW_SQL_MIGRATIONS=true says
# that path is wanted (a builder without that network, such as pnpm test:containers).
# usage: fetch-schema-engine.sh <dir with node_modules/.bin/prisma>
set -eu
dir="$1"
home="${PRISMA_HOME:-/tmp/prisma-home}"
log="$home.log"
engine=""
if HOME="$home" "$dir/node_modules/.bin/prisma" version >"$log" 2>&1; then
  engine="$(find "$dir/node_modules" "$home" -type f -name 'schema-engine*' \
    ! -name '*.gz' ! -name '*.sha256' ! -name '*.wasm' 2>/dev/null | head -n 1)"
fi
if [ -n "$engine" ]; then
  cp "$engine" "$dir/schema-engine" && chmod 755 "$dir/schema-engine"
  echo "Prisma's schema engine: $dir/schema-engine (the image runs prisma migrate deploy)"
elif [ "${ALLOW_SQL_MIGRATIONS:-false}" = "true" ]; then
  echo "Prisma's schema engine could not be downloaded; ALLOW_SQL_MIGRATIONS=true: the image will apply the migration SQL"
  tail -n 1 "$log" || true
else
  echo "Prisma's schema engine could not be downloaded, so this image could not run prisma migrate deploy." >&2
  tail -n 3 "$log" >&2 || true
  echo "Build where Prisma's binary host is reachable, or pass --build-arg ALLOW_SQL_MIGRATIONS=true to apply the recorded migration SQL instead." >&2
  rm -rf "$home" "$log"
  exit 1
fi
rm -rf "$home" "$log"
