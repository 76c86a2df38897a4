#!/usr/bin/env bash
# Make sure a local PostgreSQL answers on 127.0.0.1:5432 with a "foodhub" role that may
# create databases (the test runner creates test_foodhub). Installs and starts Debian's
# PostgreSQL when there is none; both need root.
set -euo pipefail

if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "PostgreSQL is not installed. As root: apt-get update && apt-get install -y postgresql" >&2
    exit 1
  fi
  echo "Installing PostgreSQL from Debian..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "PostgreSQL is not running. As root: pg_ctlcluster $version main start" >&2
    exit 1
  fi
  if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$version main$"; then
    pg_createcluster "$version" main >/dev/null
  fi
  pg_ctlcluster "$version" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  pg_isready -h 127.0.0.1 -p 5432
fi

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then su postgres -c "$1"; else sudo -u postgres sh -c "$1"; fi
}
exists=$(as_postgres "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='foodhub'\"" || true)
if [ "$exists" != "1" ]; then
  as_postgres "psql -qc \"CREATE ROLE foodhub LOGIN PASSWORD 'foodhub' CREATEDB\""
fi
dbexists=$(as_postgres "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='foodhub'\"" || true)
if [ "$dbexists" != "1" ]; then
  as_postgres "createdb -O foodhub foodhub"
fi
echo "PostgreSQL $version ready on 127.0.0.1:5432 (role foodhub)."
