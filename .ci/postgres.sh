# Start a throw-away PostgreSQL cluster for the records tests (sourced by .ci/run).
# Leaves DRG_TEST_POSTGRES_URL unset, with a message, when that is impossible;
# the PostgreSQL variants of the tests then skip and say why. The server stops
# when the shell exits, or earlier with drg_pg_stop.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -n "$pg_bin" ] && [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1; then
  pg_dir=$(mktemp -d /tmp/drg-pg.XXXXXX)
  chown postgres "$pg_dir"
  pg_port=55432
  # UTF-8 whatever LANG says (a SQL_ASCII cluster hands psycopg bytes, not
  # str), with C.UTF-8, the one UTF-8 locale every Debian/Ubuntu root has; run
  # from /tmp, since postgres may not read the caller's directory (/root).
  if (cd /tmp && su postgres -c "$pg_bin/initdb -D $pg_dir/data -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null") &&
     (cd /tmp && su postgres -c "$pg_bin/pg_ctl -D $pg_dir/data -o '-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1' -l $pg_dir/log -w start >/dev/null"); then
    export DRG_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$pg_port/postgres"
    drg_pg_stop() { (cd /tmp && su postgres -c "$pg_bin/pg_ctl -D $pg_dir/data -m immediate stop") >/dev/null 2>&1 || true; }
    trap drg_pg_stop EXIT
  else
    echo "PostgreSQL could not be started: its tests will skip (see $pg_dir/log)." >&2
  fi
else
  echo "No PostgreSQL server binaries or not root: PostgreSQL record tests will skip." >&2
fi
