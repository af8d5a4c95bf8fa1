#!/usr/bin/env bash
# scripts/schemathesis.sh — property-based API tests: schemathesis against /api/v1/openapi.json of a live server.
#
#   bash scripts/schemathesis.sh [SCHEMATHESIS RUN ARGS…]     e.g.  bash scripts/schemathesis.sh --seed 42
#
# By default it brings its own server: a temp data dir (SQLite, or DATABASE_URL if set), the demo network
# (`renkei demo --no-serve`; login chiba-secretariat / renkei-demo), then `renkei serve` on a free port of
# 127.0.0.1, a token from POST /api/v1/auth/tokens, `schemathesis run --checks all` with
# `Authorization: Bearer …`, and at the end the server is stopped and the temp dir deleted.
#
# Per-operation allowances (a rejection the schema cannot express: an unknown id, a check digit, a cross-field
# rule) belong in ./schemathesis.toml, which schemathesis reads from the repository root by itself, e.g.
#   [[operations]]
#   include-name = "POST /api/v1/companies"
#   checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]
#
# Environment:
#   RENKEI_API_BASE               test a server that is already running instead, e.g. http://127.0.0.1:8000
#                                 (with RENKEI_API_TOKEN, or RENKEI_API_USER + RENKEI_API_PASSWORD)
#   RENKEI_SCHEMATHESIS_EXAMPLES  max test cases per operation and phase (default 25; keeps a run to minutes)
#   RENKEI_SCHEMATHESIS_WORKERS   concurrent workers (default 1: on Python 3.11 two worker threads can run
#                                 ast.parse at once inside hypothesis, and CPython 3.11's AST state is shared,
#                                 which fails a run with "SystemError: AST constructor recursion depth mismatch")
#   RENKEI_PUBLIC_INTAKE_PER_HOUR public-form submissions per address and hour for the server it brings
#                                 (default here 1000000: every fuzzed request comes from 127.0.0.1, and the
#                                 ordinary limit of 5 would turn the run into 429s; the limit itself is tested
#                                 in tests/test_api_public_consultations.py)
#   RENKEI_PUBLIC_SEARCH_PER_MINUTE searches without a login per address and minute, likewise (default here 0 =
#                                 no limit; tested in tests/test_throttle.py)
#   VENV                          virtual environment (default .venv)
# Exit status: schemathesis's (0 = every check passed), or 2 when the server could not be set up.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV="${VENV:-.venv}"
BIN="$VENV/bin"
PY="$BIN/python"
EXAMPLES="${RENKEI_SCHEMATHESIS_EXAMPLES:-25}"
WORKERS="${RENKEI_SCHEMATHESIS_WORKERS:-1}"

log() { printf 'schemathesis.sh: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }

[[ -x "$BIN/schemathesis" ]] || die "$BIN/schemathesis not found — run 'make .venv' (test extras) or set VENV"

WORK=""
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    [[ -n "$WORK" ]] && rm -rf "$WORK"
    return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# http_json METHOD URL [JSON BODY] → prints the response body; fails on a non-2xx status (no curl on bare Debian).
http_json() {
    "$PY" - "$@" <<'PY'
import json
import sys
import urllib.error
import urllib.request

method, url = sys.argv[1], sys.argv[2]
body = sys.argv[3].encode() if len(sys.argv) > 3 else None
request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
try:
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own local server
        sys.stdout.write(response.read().decode())
except urllib.error.HTTPError as exc:
    sys.stderr.write(f"{method} {url}: HTTP {exc.code}: {exc.read().decode(errors='replace')[:500]}\n")
    sys.exit(1)
except (urllib.error.URLError, OSError) as exc:
    sys.stderr.write(f"{method} {url}: {exc}\n")
    sys.exit(1)
PY
}

get_token() { # get_token BASE USER PASSWORD
    local payload
    payload="$("$PY" -c 'import json, sys; print(json.dumps({"username": sys.argv[1], "password": sys.argv[2], "name": "schemathesis", "days": 1}))' "$2" "$3")"
    http_json POST "$1/api/v1/auth/tokens" "$payload" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}

if [[ -n "${RENKEI_API_BASE:-}" ]]; then
    BASE="${RENKEI_API_BASE%/}"
    if [[ -n "${RENKEI_API_TOKEN:-}" ]]; then
        TOKEN="$RENKEI_API_TOKEN"
    else
        [[ -n "${RENKEI_API_USER:-}" && -n "${RENKEI_API_PASSWORD:-}" ]] \
            || die "with RENKEI_API_BASE set RENKEI_API_TOKEN, or RENKEI_API_USER and RENKEI_API_PASSWORD"
        TOKEN="$(get_token "$BASE" "$RENKEI_API_USER" "$RENKEI_API_PASSWORD")" || die "could not obtain a token"
    fi
else
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/renkei-schemathesis.XXXXXX")"
    export RENKEI_DATA_DIR="$WORK/data"
    export RENKEI_PUBLIC_INTAKE_PER_HOUR="${RENKEI_PUBLIC_INTAKE_PER_HOUR:-1000000}"
    export RENKEI_PUBLIC_SEARCH_PER_MINUTE="${RENKEI_PUBLIC_SEARCH_PER_MINUTE:-0}"
    PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
    BASE="http://127.0.0.1:$PORT"
    log "loading the demo network into $RENKEI_DATA_DIR"
    "$BIN/renkei" demo --no-serve >"$WORK/demo.log" 2>&1 || { tail -n 30 "$WORK/demo.log" >&2; die "renkei demo --no-serve failed"; }
    API_USER="chiba-secretariat"
    API_PASSWORD="renkei-demo"
    "$BIN/renkei" serve --port "$PORT" --threads 4 >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 120); do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            tail -n 30 "$WORK/server.log" >&2
            die "renkei serve exited"
        fi
        http_json GET "$BASE/api/v1/openapi.json" >/dev/null 2>&1 && break
        sleep 0.5
    done
    http_json GET "$BASE/api/v1/openapi.json" >/dev/null || die "the server did not answer on $BASE"
    log "server up on $BASE (pid $SERVER_PID)"
    TOKEN="$(get_token "$BASE" "$API_USER" "$API_PASSWORD")" || die "could not obtain a token for $API_USER"
fi

log "schemathesis $("$BIN/schemathesis" --version 2>/dev/null | awk '{print $NF}'): $EXAMPLES examples per operation, $WORKERS workers"
[[ -t 1 ]] && COLOR_ARGS=() || COLOR_ARGS=(--no-color)
set +e
"$BIN/schemathesis" run "$BASE/api/v1/openapi.json" \
    --checks all \
    --header "Authorization: Bearer $TOKEN" \
    --max-examples "$EXAMPLES" \
    --workers "$WORKERS" \
    --request-timeout 30 \
    "${COLOR_ARGS[@]}" \
    "$@"
rc=$?
set -e
if [[ $rc -ne 0 && -n "$WORK" && -f "$WORK/server.log" ]]; then
    if grep -q "Internal Server Error" "$WORK/server.log"; then
        log "server errors (tracebacks from the server log, first 200 lines):"
        grep -A 60 "Internal Server Error" "$WORK/server.log" | grep -v -E '^(Not Found|Bad Request|Unprocessable Entity|Unauthorized|Forbidden|Conflict|Method Not Allowed): ' | head -n 200 >&2
    else
        log "no server errors in the server log; see the failures above"
    fi
fi
exit "$rc"
