#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised (docker-entrypoint-initdb.d).
# POSTGRES_USER owns the schema and applies migrations (the `migrate` service).
# The app connects as CLOSER_DB_USER: a login role that is only a member of
# closer_app, so row-level security applies to everything it does
# (docs/PRODUCTION.md, "Database roles").
set -eu
: "${CLOSER_DB_USER:=closer_app_user}"
: "${CLOSER_DB_PASSWORD:?set CLOSER_DB_PASSWORD}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v login="$CLOSER_DB_USER" -v password="$CLOSER_DB_PASSWORD" <<'EOSQL'
-- The group role the migrations grant table rights to (migration 0001 creates it too when missing).
SELECT 'CREATE ROLE closer_app NOLOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'closer_app') \gexec
CREATE ROLE :"login" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD :'password';
GRANT closer_app TO :"login";
GRANT CONNECT ON DATABASE :"DBNAME" TO :"login";
EOSQL
