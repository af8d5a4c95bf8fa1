#!/usr/bin/env bash
# pg-throwaway.sh — a disposable PostgreSQL cluster for the test suite (never for data you want to keep).
#
#   scripts/pg-throwaway.sh run CMD [ARGS…]   start a cluster, run CMD with DATABASE_URL set, stop and remove it
#   scripts/pg-throwaway.sh start             start one; print  RENKEI_PG_DIR=…  and  DATABASE_URL=…  on stdout
#   scripts/pg-throwaway.sh stop DIR          stop the cluster started in DIR and delete DIR
#   scripts/pg-throwaway.sh bindir            print the server binary directory found (exit 1 if none)
#
# The cluster lives in a fresh temp dir: initdb --locale=C.UTF-8 (UTF8; pg_trgm ignores Japanese under plain C),
# fsync=off, listening on 127.0.0.1 only, on a free port, with its unix socket inside the temp dir. It has one
# login role "renkei" (random password, CREATEDB — pytest-django creates test_<name> databases) and a database
# "renkei". Local socket connections are trusted (the socket dir is private), TCP needs the password.
# Debian's initdb refuses to run as root: as root everything runs through `runuser -u postgres` and the temp dir
# is owned by postgres.
#
# Environment:
#   RENKEI_PG_BINDIR  server binaries (default: the newest /usr/lib/postgresql/*/bin with initdb; also PATH)
#   TMPDIR            where the temp dir goes (default /tmp; as root it must be reachable by the postgres user)
set -euo pipefail

log() { printf 'pg-throwaway: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

find_bindir() {
    if [[ -n "${RENKEI_PG_BINDIR:-}" ]]; then
        [[ -x "$RENKEI_PG_BINDIR/initdb" && -x "$RENKEI_PG_BINDIR/pg_ctl" ]] || return 1
        printf '%s\n' "$RENKEI_PG_BINDIR"
        return 0
    fi
    # The newest Debian major version (compared as numbers: 9 < 15 < 16).
    local dir version newest=0 best=""
    for dir in /usr/lib/postgresql/*/bin; do
        [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]] || continue
        version="${dir#/usr/lib/postgresql/}"
        version="${version%%/*}"
        if [[ "$version" =~ ^[0-9]+$ ]] && ((version > newest)); then
            newest=$version
            best="$dir"
        fi
    done
    if [[ -z "$best" ]] && command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        best="$(dirname "$(command -v initdb)")"
    fi
    [[ -n "$best" ]] || return 1
    printf '%s\n' "$best"
}

# Run a command as the cluster owner: ourselves, or postgres when we are root.
as_owner() {
    if [[ $EUID -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    local py
    py="$(command -v python3 || command -v python)" || die "python3 is needed to find a free port"
    "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

random_password() {
    od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
}

STARTING_DIR=""

# If starting fails or is interrupted half-way, stop whatever was started and delete the temp dir.
abort_start() {
    if [[ -n "$STARTING_DIR" && -d "$STARTING_DIR" ]]; then
        cmd_stop "$STARTING_DIR" || true
    fi
}

cmd_start() {
    local bindir dir port password attempt
    bindir="$(find_bindir)" || die "no PostgreSQL server binaries (initdb, pg_ctl) found; install postgresql or set RENKEI_PG_BINDIR"
    if [[ $EUID -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
        die "running as root but there is no 'postgres' user to own the cluster (initdb refuses root)"
    fi
    dir="$(mktemp -d "${TMPDIR:-/tmp}/renkei-pg.XXXXXX")"
    touch "$dir/.renkei-throwaway"
    STARTING_DIR="$dir"
    trap abort_start EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    [[ $EUID -eq 0 ]] && chown -R postgres: "$dir"
    chmod 700 "$dir"
    if ! as_owner test -w "$dir"; then
        die "the postgres user cannot reach $dir (is TMPDIR=${TMPDIR:-/tmp} private to root? try TMPDIR=/tmp)"
    fi

    local pwfile="$dir/.superuser-pw"
    random_password >"$pwfile"
    [[ $EUID -eq 0 ]] && chown postgres: "$pwfile"
    if ! as_owner "$bindir/initdb" --pgdata="$dir/data" --username=postgres --pwfile="$pwfile" \
        --encoding=UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 \
        --no-instructions >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        die "initdb failed"
    fi
    rm -f "$pwfile"

    for attempt in 1 2 3; do
        port="$(free_port)"
        if as_owner "$bindir/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" --wait --timeout=60 \
            --options="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir \
-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50" \
            start >"$dir/pg_ctl.log" 2>&1; then
            break
        fi
        log "start on port $port failed (attempt $attempt):"
        tail -n 5 "$dir/server.log" >&2 2>/dev/null || true
        port=""
    done
    if [[ -z "$port" ]]; then
        die "could not start the server"
    fi
    echo "$port" >"$dir/port"
    echo "$bindir" >"$dir/bindir"

    password="$(random_password)"
    if ! as_owner "$bindir/psql" --no-psqlrc -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres \
        -c "CREATE ROLE renkei LOGIN CREATEDB PASSWORD '$password'" \
        -c "CREATE DATABASE renkei OWNER renkei" >"$dir/psql.log" 2>&1; then
        cat "$dir/psql.log" >&2
        die "could not create the renkei role and database"
    fi
    STARTING_DIR=""
    trap - EXIT INT TERM
    log "$("$bindir/postgres" --version | sed 's/^postgres (PostgreSQL) //') on 127.0.0.1:$port (data in $dir)"
    printf 'RENKEI_PG_DIR=%s\n' "$dir"
    printf 'DATABASE_URL=postgres://renkei:%s@127.0.0.1:%s/renkei\n' "$password" "$port"
}

cmd_stop() {
    local dir="${1:?usage: pg-throwaway.sh stop DIR}"
    [[ -f "$dir/.renkei-throwaway" ]] || die "$dir is not a throwaway cluster directory; not touching it"
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        local bindir
        bindir="$(cat "$dir/bindir" 2>/dev/null || find_bindir)"
        as_owner "$bindir/pg_ctl" --pgdata="$dir/data" --mode=immediate --wait stop >/dev/null 2>&1 \
            || log "pg_ctl stop failed (the server may already be gone)"
    fi
    rm -rf "$dir"
}

RUN_DIR=""

cmd_run() {
    [[ $# -gt 0 ]] || die "usage: pg-throwaway.sh run CMD [ARGS…]"
    local out url rc
    out="$(cmd_start)"
    RUN_DIR="$(sed -n 's/^RENKEI_PG_DIR=//p' <<<"$out")"
    url="$(sed -n 's/^DATABASE_URL=//p' <<<"$out")"
    trap 'cmd_stop "$RUN_DIR"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    set +e
    DATABASE_URL="$url" "$@"
    rc=$?
    set -e
    return "$rc"
}

case "${1:-}" in
    start) shift; cmd_start "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    run) shift; cmd_run "$@" ;;
    bindir) find_bindir ;;
    *) sed -n '2,7s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac
