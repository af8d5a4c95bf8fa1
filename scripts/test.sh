#!/usr/bin/env bash
# scripts/test.sh — the whole test suite, on SQLite and on PostgreSQL (what `make test` runs).
#
#   bash scripts/test.sh [PYTEST ARGS…]      e.g.  bash scripts/test.sh -x -k companies
#
# 1. SQLite run: the suite with no DATABASE_URL (pytest-django uses an in-memory SQLite database).
# 2. PostgreSQL run: the suite again with DATABASE_URL=postgres://… (pytest-django creates test_<name>):
#    - RENKEI_TEST_DATABASE_URL set → that server (its role needs CREATEDB);
#    - else PostgreSQL server binaries present (/usr/lib/postgresql/*/bin/initdb, or RENKEI_PG_BINDIR) → a
#      throwaway cluster (scripts/pg-throwaway.sh: temp dir, 127.0.0.1, free port, C.UTF-8, fsync=off),
#      stopped and deleted at the end whatever happens;
#    - else the run is skipped and the summary says so loudly.
#    Each run gets its own RENKEI_DATA_DIR in a temp dir, deleted at the end.
# 3. Browser tests (marker `browser`) need Chromium at /usr/bin/chromium (RENKEI_CHROMIUM); without it the root
#    conftest.py skips them and the summary says how many.
# 4. A boxed summary: each run's outcome line, and every SKIPPED run or group of tests.
#
# Strict mode, RENKEI_STRICT=1 (.ci/run sets it): nothing may be skipped. A missing PostgreSQL or Chromium fails
# the run, and so does any skipped test — except the one expected kind: a test marked `postgres_only` skipped
# on the SQLite run (it runs in the PostgreSQL run; the root conftest.py marks that skip as expected). A
# postgres_only test skipped on PostgreSQL, a browser test skipped for lack of Chromium, or any other skip
# fails. "No tests collected" (pytest exit code 5) is always a failure.
#
# Environment:
#   VENV                      virtual environment (default .venv; `make test` creates it)
#   RENKEI_STRICT=1           strict mode (above)
#   RENKEI_TEST_DATABASE_URL  use this PostgreSQL server instead of a throwaway cluster
#   RENKEI_PG_BINDIR          PostgreSQL server binaries (a missing dir simulates "no PostgreSQL")
#   RENKEI_CHROMIUM           Chromium executable (default /usr/bin/chromium)
#   RENKEI_TEST_DBS           which runs, default "sqlite postgres" (e.g. "sqlite" for a quick local run)
#   RENKEI_TEST_JOBS=2        run the two databases at the same time (PostgreSQL output is shown after SQLite's)
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
ROOT="$(pwd)"
VENV="${VENV:-.venv}"
BIN="$VENV/bin"
CHROMIUM="${RENKEI_CHROMIUM:-/usr/bin/chromium}"
export RENKEI_CHROMIUM="$CHROMIUM"
TEST_DBS="${RENKEI_TEST_DBS:-sqlite postgres}"
JOBS="${RENKEI_TEST_JOBS:-1}"
case "${RENKEI_STRICT:-}" in 1 | true | yes | on) STRICT=1 ;; *) STRICT=0 ;; esac
export RENKEI_STRICT="$STRICT"

if [[ ! -x "$BIN/pytest" ]]; then
    echo "test.sh: $BIN/pytest not found — run 'make test' (it creates $VENV) or set VENV" >&2
    exit 2
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/renkei-test.XXXXXX")"
PG_DIR=""
cleanup() {
    if [[ -n "$PG_DIR" ]]; then
        bash "$ROOT/scripts/pg-throwaway.sh" stop "$PG_DIR" || true
        PG_DIR=""
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

: >"$WORK/notes" # KIND|text lines for the summary; KIND is FAIL, SKIP or INFO
: >"$WORK/runs"  # name|label|exit code|report path
note() { printf '%s|%s\n' "$1" "$2" >>"$WORK/notes"; }
FAILED=0

PYTEST_ARGS=()
[[ "${CI:-}" == "true" ]] && PYTEST_ARGS+=(--durations=15)

# run_suite NAME LABEL DATABASE_URL [> log]: one pytest session with its own data dir and JSON report.
run_suite() {
    local name="$1" label="$2" url="$3"
    local data="$WORK/$name-data" report="$WORK/$name.json" rc
    mkdir -p "$data"
    echo
    echo "=== renkei tests: $label run ==="
    if [[ -n "$url" ]]; then
        RENKEI_DATA_DIR="$data" RENKEI_TEST_REPORT="$report" DATABASE_URL="$url" \
            "$BIN/pytest" "${PYTEST_ARGS[@]}" "${EXTRA_ARGS[@]}"
    else
        env -u DATABASE_URL RENKEI_DATA_DIR="$data" RENKEI_TEST_REPORT="$report" \
            "$BIN/pytest" "${PYTEST_ARGS[@]}" "${EXTRA_ARGS[@]}"
    fi
    rc=$?
    printf '%s|%s|%s|%s\n' "$name" "$label" "$rc" "$report" >>"$WORK/runs"
    return "$rc"
}

record_rc() { # record_rc LABEL RC
    local label="$1" rc="$2"
    case "$rc" in
        0) ;;
        5) note FAIL "$label run: no tests collected (pytest exit code 5)"; FAILED=1 ;;
        *) FAILED=1 ;;
    esac
}

EXTRA_ARGS=("$@")
[[ -t 1 ]] && COLOR=(--color=yes) || COLOR=()
wants() { [[ " $TEST_DBS " == *" $1 "* ]]; }

# --- which runs ----------------------------------------------------------------------------------------------
PG_URL=""
PG_LABEL=""
if wants postgres; then
    if [[ -n "${RENKEI_TEST_DATABASE_URL:-}" ]]; then
        PG_URL="$RENKEI_TEST_DATABASE_URL"
        PG_LABEL="PostgreSQL (RENKEI_TEST_DATABASE_URL)"
    elif bash scripts/pg-throwaway.sh bindir >/dev/null 2>&1; then
        if out="$(bash scripts/pg-throwaway.sh start)"; then
            PG_DIR="$(sed -n 's/^RENKEI_PG_DIR=//p' <<<"$out")"
            PG_URL="$(sed -n 's/^DATABASE_URL=//p' <<<"$out")"
            PG_LABEL="PostgreSQL (throwaway cluster)"
        else
            note FAIL "PostgreSQL run: the throwaway cluster did not start (see the messages above)"
            FAILED=1
        fi
    else
        note SKIP "PostgreSQL run (no server binaries; install postgresql)"
        [[ $STRICT == 1 ]] && FAILED=1
    fi
else
    note SKIP "PostgreSQL run (RENKEI_TEST_DBS=\"$TEST_DBS\")"
    [[ $STRICT == 1 ]] && FAILED=1
fi
if ! wants sqlite; then
    note SKIP "SQLite run (RENKEI_TEST_DBS=\"$TEST_DBS\")"
    [[ $STRICT == 1 ]] && FAILED=1
fi
if [[ ! -x "$CHROMIUM" ]]; then
    [[ $STRICT == 1 ]] && { note FAIL "strict: Chromium is required ($CHROMIUM is missing; apt-get install chromium)"; FAILED=1; }
fi

# --- the runs ------------------------------------------------------------------------------------------------
START=$SECONDS
if [[ "$JOBS" -ge 2 ]] && wants sqlite && [[ -n "$PG_URL" ]]; then
    PYTEST_ARGS+=("${COLOR[@]}")
    run_suite postgres "$PG_LABEL" "$PG_URL" >"$WORK/postgres.log" 2>&1 &
    pg_pid=$!
    run_suite sqlite "SQLite" ""
    record_rc SQLite $?
    wait "$pg_pid"
    pg_rc=$?
    cat "$WORK/postgres.log"
    record_rc PostgreSQL "$pg_rc"
else
    if wants sqlite; then
        run_suite sqlite "SQLite" ""
        record_rc SQLite $?
    fi
    if [[ -n "$PG_URL" ]]; then
        run_suite postgres "$PG_LABEL" "$PG_URL"
        record_rc PostgreSQL $?
    fi
fi
if [[ -n "$PG_DIR" ]]; then
    bash scripts/pg-throwaway.sh stop "$PG_DIR" || true
    PG_DIR=""
fi

# --- the summary ---------------------------------------------------------------------------------------------
"$BIN/python" - "$WORK/runs" "$WORK/notes" "$STRICT" "$CHROMIUM" "$((SECONDS - START))" <<'PY'
import json
import sys
from pathlib import Path

runs_file, notes_file, strict, chromium, elapsed = sys.argv[1:6]
strict = strict == "1"
lines: list[str] = []
loud: list[str] = []
browser_skipped: set[str] = set()
other_unexpected: list[str] = []
expected = 0

for row in Path(runs_file).read_text(encoding="utf-8").splitlines():
    name, label, rc, report_path = row.split("|", 3)
    report = Path(report_path)
    verdict = "OK" if rc == "0" else f"FAILED (exit code {rc})"
    if not report.exists():
        lines.append(f"{label}: no report from pytest — {verdict}")
        continue
    data = json.loads(report.read_text(encoding="utf-8"))
    counts = data["counts"]
    parts = [f"{n} {k}" for k, n in counts.items() if n]
    summary = ", ".join(parts) or "no tests ran"
    lines.append(f"{label}: {summary} in {data['duration_s']}s — {verdict}")
    for skip in data["skips"]:
        if skip["expected"]:
            expected += 1
        elif "browser" in skip["markers"] and "Chromium" in skip["reason"]:
            browser_skipped.add(skip["nodeid"])
        else:
            other_unexpected.append(f"  {label}: {skip['nodeid']} — {skip['reason']}")

for row in Path(notes_file).read_text(encoding="utf-8").splitlines():
    kind, text = row.split("|", 1)
    if kind == "SKIP":
        loud.append(f"SKIPPED: {text}")
    elif kind == "FAIL":
        loud.append(f"FAILED: {text}")
    else:
        lines.append(text)
if browser_skipped:
    loud.append(f"SKIPPED: {len(browser_skipped)} browser tests (no {chromium}; apt-get install chromium)")
if other_unexpected:
    loud.append(f"SKIPPED: {len(other_unexpected)} other tests (pytest.skip / skip markers):")
    loud.extend(other_unexpected[:20])
    if len(other_unexpected) > 20:
        loud.append(f"  … and {len(other_unexpected) - 20} more (see the pytest output above)")
if expected:
    lines.append(f"expected: {expected} postgres_only test(s) skipped on SQLite (they run on PostgreSQL)")
if strict and loud:
    lines.append("strict mode (RENKEI_STRICT=1): every SKIPPED line below is a failure")

body = [f"renkei test summary ({elapsed}s)", ""] + lines + ([""] + loud if loud else [])
width = max(len(line) for line in body) + 4
bar = "#" * width if loud else "=" * width
print()
print(bar)
for line in body:
    print(f"# {line.ljust(width - 4)} #" if loud else f"| {line.ljust(width - 4)} |")
print(bar)
PY

if [[ $FAILED -ne 0 ]]; then
    echo "make test: FAILED"
    exit 1
fi
echo "make test: OK"
