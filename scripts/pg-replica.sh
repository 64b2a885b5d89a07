#!/usr/bin/env bash
# A PostgreSQL streaming standby of the local cluster on 127.0.0.1:5433, for the read-replica test
# (replica::dashboards_read_the_standby). `scripts/pg-replica.sh start` makes it (or finds it running) and
# prints its URL; `stop` drops it. Needs root and Debian's postgresql-common (pg_createcluster), as on CI.
set -euo pipefail
name=wangge_replica
port=${WANGGE_REPLICA_PORT:-5433}
ver=$(ls /etc/postgresql | sort -n | tail -1)
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
  # The primary must accept replication connections from this machine (trust, like the rest of its pg_hba).
  if ! grep -Eq '^host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32' "$main_conf/pg_hba.conf"; then
    echo "host replication all 127.0.0.1/32 trust" >> "$main_conf/pg_hba.conf"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main reload
  fi
  pg_dropcluster --stop "$ver" "$name" >/dev/null 2>&1 || true
  pg_createcluster "$ver" "$name" -p "$port" >/dev/null
  # Same access rules as the primary (trust on this machine).
  cp "$main_conf/pg_hba.conf" "/etc/postgresql/$ver/$name/pg_hba.conf"
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
  ;;
*)
  echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
