#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, on a free loopback port, trust auth, fsync off.
#
#   throwaway-postgres.sh start [OWNER_PID]   prints two lines: the server's directory, then its URL
#   throwaway-postgres.sh stop DIR            stops it and removes DIR
#   throwaway-postgres.sh stop-server DIR [fast|immediate]
#                                             stops the server (default fast: connections are closed;
#                                             immediate: as a crash), keeping DIR, its data and its port
#   throwaway-postgres.sh start-server DIR    starts it again on the same port (the outage tests)
#
# Each server lives in /tmp/tessera-pg-XXXXXX (data dir, log, socket) and records OWNER_PID (the test
# process; default: the caller). `start` first stops and removes every such server whose owner is gone,
# so a crashed test run leaves no server behind for long. Runs the server as the `postgres` user when
# started as root (PostgreSQL refuses root). PG_BIN overrides /usr/lib/postgresql/15/bin.
set -euo pipefail
BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_dir() {
    local dir=$1
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_pg "$BIN/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
}

start_server() {
    as_pg "$BIN/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 60 -o \
        "-c listen_addresses=127.0.0.1 -p $2 -k $1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
        start >/dev/null 2>&1
}

throwaway_dir() {
    case "$1" in /tmp/tessera-pg-*) [ -d "$1/data" ] && return 0 ;; esac
    echo "not a throwaway server: $1" >&2
    exit 2
}

case "${1:-}" in
start)
    owner=${2:-$PPID}
    for tool in initdb pg_ctl postgres; do
        if [ ! -x "$BIN/$tool" ]; then
            echo "PostgreSQL server binaries not found: $BIN/$tool is missing (Debian: apt-get install postgresql-15; or set TESSERA_TEST_POSTGRES_URL)" >&2
            exit 2
        fi
    done
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
        echo "running as root needs a 'postgres' user to run the server as (the postgresql-15 package makes it)" >&2
        exit 2
    fi
    for stale in /tmp/tessera-pg-*; do
        [ -d "$stale" ] || continue
        prev=$(cat "$stale/owner" 2>/dev/null || echo 0)
        if [ "$prev" = 0 ] || ! kill -0 "$prev" 2>/dev/null; then stop_dir "$stale"; fi
    done
    dir=$(mktemp -d /tmp/tessera-pg-XXXXXX)
    echo "$owner" > "$dir/owner"
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_pg "$BIN/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2; rm -rf "$dir"; exit 1; }
    for attempt in 1 2 3 4 5; do
        port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        if start_server "$dir" "$port"; then
            echo "$port" > "$dir/port"
            echo "$dir"
            echo "postgres://postgres@127.0.0.1:$port/postgres"
            exit 0
        fi
    done
    cat "$dir/server.log" >&2 || true
    stop_dir "$dir"
    exit 1
    ;;
stop)
    dir=${2:?usage: throwaway-postgres.sh stop DIR}
    case "$dir" in /tmp/tessera-pg-*) stop_dir "$dir" ;; *) echo "not a throwaway server: $dir" >&2; exit 2 ;; esac
    ;;
stop-server)
    dir=${2:?usage: throwaway-postgres.sh stop-server DIR [fast|immediate]}
    mode=${3:-fast}
    case "$mode" in fast|immediate) ;; *) echo "mode must be fast or immediate, got $mode" >&2; exit 2 ;; esac
    throwaway_dir "$dir"
    as_pg "$BIN/pg_ctl" -D "$dir/data" -m "$mode" -w -t 60 stop >/dev/null
    ;;
start-server)
    dir=${2:?usage: throwaway-postgres.sh start-server DIR}
    throwaway_dir "$dir"
    start_server "$dir" "$(cat "$dir/port")" || { tail -20 "$dir/server.log" >&2; exit 1; }
    ;;
*)
    echo "usage: $0 start [OWNER_PID] | stop DIR | stop-server DIR [fast|immediate] | start-server DIR" >&2
    exit 2
    ;;
esac
