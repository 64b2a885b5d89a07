#!/usr/bin/env bash
# A PostgreSQL streaming standby of the local cluster on 127.0.0.1:5433, for the read-replica test
# (replica::dashboards_read_the_standby). `scripts/pg-replica.sh start` makes it (or finds it running) and
# prints its URL; `stop` drops it. Needs root and Debian's postgresql-common (pg_createcluster), as on CI.
set -euo pipefail
name=wangge_replica
port=${WANGGE_REPLICA_PORT:-5433}
# The cluster the tests use (127.0.0.1:5432), whatever its version.
ver=$(pg_lsclusters -h | awk '$3 == 5432 {print $1; exit}')
[ -n "$ver" ] || { echo "no PostgreSQL cluster on port 5432" >&2; exit 1; }
marker="# wangge-replica-test (scripts/pg-replica.sh; removed by 'stop')"
main_conf=/etc/postgresql/$ver/main
data=/var/lib/postgresql/$ver/$name

case "${1:-start}" in
start)
  if pg_lsclusters -h | awk -v n="$name" '$2 == n && $4 == "online" {f=1} END {exit !f}' &&
     [ "$(psql -h 127.0.0.1 -p "$port" -U postgres -Atc 'SELECT pg_is_in_recovery()' 2>/dev/null)" = "t" ]; then
    # A test that died while it had replay paused must not leave the standby behind for the next run.
    psql -h 127.0.0.1 -p "$port" -U postgres -qAtc 'SELECT pg_wal_replay_resume()' >/dev/null
    echo "postgres://postgres@127.0.0.1:$port"
    exit 0
  fi
  # The primary must accept replication connections from this machine. pg_hba is first-match, so the trust
  # line goes first (a packaged "host replication … scram-sha-256" line would win otherwise); it is marked
  # and taken out again by `stop`, so the machine is not left accepting local replication without a password.
  if ! grep -qF "$marker" "$main_conf/pg_hba.conf"; then
    sed -i "1i host replication all 127.0.0.1/32 trust $marker" "$main_conf/pg_hba.conf"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main reload
  fi
  pg_dropcluster --stop "$ver" "$name" >/dev/null 2>&1 || true
  pg_createcluster "$ver" "$name" -p "$port" >/dev/null
  # Same access rules as the primary (trust on this machine), without the replication line.
  grep -vF "$marker" "$main_conf/pg_hba.conf" > "/etc/postgresql/$ver/$name/pg_hba.conf"
  rm -rf "$data" && install -d -o postgres -g postgres -m 700 "$data"
  # -R writes standby.signal and primary_conninfo: the copy starts as a streaming hot standby.
  runuser -u postgres -- pg_basebackup -h 127.0.0.1 -p 5432 -U postgres -D "$data" -R -X stream -c fast >/dev/null
  pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p "$port" -q && break; sleep 1; done
  [ "$(psql -h 127.0.0.1 -p "$port" -U postgres -Atc 'SELECT pg_is_in_recovery()')" = "t" ] || {
    echo "the copy on port $port is not a standby" >&2; exit 1; }
  echo "postgres://postgres@127.0.0.1:$port"
  ;;
stop)
  pg_dropcluster --stop "$ver" "$name" >/dev/null 2>&1 || true
  if grep -qF "$marker" "$main_conf/pg_hba.conf"; then
    grep -vF "$marker" "$main_conf/pg_hba.conf" > "$main_conf/pg_hba.conf.tmp"
    cat "$main_conf/pg_hba.conf.tmp" > "$main_conf/pg_hba.conf" && rm -f "$main_conf/pg_hba.conf.tmp"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main reload
  fi
  ;;
*)
  echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
