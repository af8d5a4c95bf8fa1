"""The ``renkei`` command: serve, demo, migrate, createadmin, company-login, import, export, sla, worker, bench, match,
index.

Help is Japanese; with LANG=en* (or RENKEI_LANG=en) it is English.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

MESSAGES = {
    "ja": {
        "prog": "renkei — 産学官金連携支援プラットフォーム",
        "epilog": "データディレクトリ: RENKEI_DATA_DIR（既定 ./var）。DATABASE_URL で PostgreSQL を指定できます。",
        "serve": "Web サーバーを起動します",
        "host": "待ち受けるアドレス（既定 127.0.0.1）",
        "port": "ポート番号（既定 8000 または環境変数 PORT）",
        "threads": "ワーカースレッド数",
        "demo": "デモデータ（千葉県・山形県の連携支援体制など）を読み込み、サーバーを起動します",
        "no_serve": "読み込みだけを行い、サーバーは起動しません",
        "reset": "既存のデータベースを削除してから読み込みます（SQLite のみ）",
        "migrate": "データベースを最新の構造にします（参照データも読み込みます）",
        "createadmin": "システム管理者（スーパーユーザー）を作成します",
        "username": "ユーザー名",
        "email": "メールアドレス",
        "password": "パスワード（省略時は対話的に入力、または環境変数 RENKEI_ADMIN_PASSWORD）",
        "company_login": "企業ログイン（企業の利用者）を作成し、初期パスワードを一度だけ表示します",
        "company_id": "企業の ID（企業のページの URL /companies/ID/ の数字）",
        "login_email": "ログインに使うメールアドレス（ユーザー名になります）",
        "import": "CSV（UTF-8 / Shift_JIS）または Excel（.xlsx）から取り込みます",
        "import_what": (
            "取り込む対象（case-settings は renkei-cases/1 形式の JSON、kaken は KAKEN の CSV、jgrants は jGrants の JSON、"
            "seeds・researchers・equipment・test-services・programs は見出しつきの CSV/Excel）"
        ),
        "import_region": "取り込んだ項目を管理する地域（シーズ・機器・施策の取り込み時。省略時は全国のデータ）",
        "mapping": '見出しと項目の対応を書いた JSON ファイル（例: {"機器名称": "name"}）',
        "source_name": "出典の名称（省略時は取り込みの種類ごとの既定）",
        "file": "ファイルのパス",
        "dry_run": "検証だけを行い、誤りのある行をすべて表示します（何も書き込みません）",
        "organization": "登録機関の ID（企業の取り込み時）、または既定の機関の名称か ID（機器などの取り込み時）",
        "as_user": "操作する利用者のユーザー名（省略時は最初のスーパーユーザー）",
        "export": "CSV または Excel（.xlsx）に書き出します",
        "export_what": "書き出す対象（case-settings は地域の相談設定: 振分けルール・段階・対応期限の JSON）",
        "region": "地域の識別子（case-settings の書き出し時。例: chiba）",
        "output": "出力ファイル（拡張子 .csv / .xlsx で形式を決めます。省略時は標準出力に CSV）",
        "encoding": "CSV の文字コード（utf-8-sig / cp932）",
        "sla": "相談の対応期限を更新して通知する（refresh）、期限の近い・過ぎた案件をメールで知らせる（digest）",
        "sla_action": "refresh（期限の更新と通知）または digest（お知らせメール）",
        "date": "基準日 YYYY-MM-DD（省略時は今日）",
        "worker": "バックグラウンド処理（メール、毎日の期限更新）を実行します（RENKEI_TASK_BACKEND=database のとき）",
        "batch": "溜まっている処理を実行したら終了します",
        "interval": "新しい処理を確認する間隔（秒）",
        "max_tasks": "この件数を実行したら終了します",
        "queue": "実行するキュー名（既定はすべて）",
        "bench": "性能を測定します",
        "bench_what": "測定の種類",
        "rows": "生成する行数",
        "cases": "生成する相談案件の件数（既定 1,000,000）",
        "database": "測るデータベース（postgres は DATABASE_URL のサーバーに一時スキーマを作ります）",
        "requests": "画面ごとの測定回数（既定 30）",
        "json": "結果を JSON で出力します",
        "bench_dir": "ベンチマークのフォルダー（corpus.jsonl・queries.jsonl・qrels.tsv または pairs.jsonl）",
        "bench_all": "DIR の下のすべてのベンチマークを実行します",
        "synthetic": "N 件の文書を生成して構築速度・応答時間・メモリを測ります",
        "bench_queries": "--synthetic で使う検索の数（既定 200）",
        "match": "相談内容などの文章に合うシーズ・機器・支援施策・機関を探します",
        "match_text": "探したい内容（例: 樹脂成形品の強度評価をしたい）",
        "kind": "種類で絞り込みます（複数可）",
        "limit": "表示する件数（既定 10）",
        "index": "検索インデックスを作り直します（rebuild）か、状態を表示します（status）",
        "index_action": "rebuild または status",
    },
    "en": {
        "prog": "renkei — a platform for regional industry-support networks",
        "epilog": "Data directory: RENKEI_DATA_DIR (default ./var). DATABASE_URL selects PostgreSQL.",
        "serve": "Start the web server",
        "host": "Address to listen on (default 127.0.0.1)",
        "port": "Port (default 8000 or $PORT)",
        "threads": "Worker threads",
        "demo": "Load the demo data (the Chiba and Yamagata networks and more) and start the server",
        "no_serve": "Only load; do not start the server",
        "reset": "Delete the existing database first (SQLite only)",
        "migrate": "Bring the database schema up to date (and load reference data)",
        "createadmin": "Create a system administrator (superuser)",
        "username": "User name",
        "email": "E-mail address",
        "password": "Password (prompted if omitted, or $RENKEI_ADMIN_PASSWORD)",
        "company_login": "Create a company login (a user acting for one company); prints its initial password once",
        "company_id": "Company id (the number in the company page's URL /companies/ID/)",
        "login_email": "E-mail address to log in with (it becomes the user name)",
        "import": "Import from CSV (UTF-8 / Shift_JIS) or Excel (.xlsx)",
        "import_what": (
            "What to import (case-settings: renkei-cases/1 JSON; kaken: the KAKEN CSV export; jgrants: jGrants JSON;"
            " seeds, researchers, equipment, test-services, programs: CSV/Excel with headers)"
        ),
        "import_region": "Region that maintains the imported catalog items (default: national data)",
        "mapping": 'JSON file mapping column headers to fields (e.g. {"機器名称": "name"})',
        "source_name": "Name of the source (default per kind)",
        "file": "Path of the file",
        "dry_run": "Validate only and print every bad row (writes nothing)",
        "organization": "Owning organization id (companies), or the default body's name or id (catalog)",
        "as_user": "User name to act as (default: the first superuser)",
        "export": "Export to CSV or Excel (.xlsx)",
        "export_what": "What to export (case-settings: a region's routing rules, ladders and SLA targets as JSON)",
        "region": "Region slug (for case-settings, e.g. chiba)",
        "output": "Output file (.csv or .xlsx; default: CSV on standard output)",
        "encoding": "CSV encoding (utf-8-sig / cp932)",
        "sla": "Refresh the consultations' SLA clocks and notify (refresh), or mail the digest (digest)",
        "sla_action": "refresh (clocks and notifications) or digest (e-mail)",
        "date": "Reference date YYYY-MM-DD (default today)",
        "worker": "Run background work (e-mail, the daily SLA job) when RENKEI_TASK_BACKEND=database",
        "batch": "Exit once the queue is empty",
        "interval": "Seconds between polls for new work",
        "max_tasks": "Exit after this many tasks",
        "queue": "Queue name to run (default all)",
        "bench": "Measure performance",
        "bench_what": "What to measure",
        "rows": "Number of rows to generate",
        "cases": "Number of cases to generate (default 1,000,000)",
        "database": "Database to measure (postgres uses a temporary schema on DATABASE_URL's server)",
        "requests": "Requests per page (default 30)",
        "json": "Print the result as JSON",
        "bench_dir": "Benchmark folder (corpus.jsonl, queries.jsonl, qrels.tsv, or pairs.jsonl)",
        "bench_all": "Run every benchmark folder below DIR",
        "synthetic": "Generate N documents and measure build rate, latency and memory",
        "bench_queries": "Queries for --synthetic (default 200)",
        "match": "Find the seeds, equipment, programs and bodies that fit a text such as a consultation",
        "match_text": "What to look for (e.g. 樹脂成形品の強度評価をしたい)",
        "kind": "Only these kinds (repeatable)",
        "limit": "Number of results (default 10)",
        "index": "Rebuild the search index (rebuild) or show its state (status)",
        "index_action": "rebuild or status",
    },
}


IMPORT_WHAT = [
    "companies",
    "organizations",
    "case-settings",
    "kaken",
    "jgrants",
    "seeds",
    "researchers",
    "equipment",
    "test-services",
    "programs",
]


def language() -> str:
    lang = os.environ.get("RENKEI_LANG") or os.environ.get("LC_ALL") or os.environ.get("LANG") or "ja"
    return "en" if lang.lower().startswith("en") else "ja"


def build_parser() -> argparse.ArgumentParser:
    t = MESSAGES[language()]
    parser = argparse.ArgumentParser(prog="renkei", description=t["prog"], epilog=t["epilog"])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("serve", help=t["serve"], description=t["serve"])
    p.add_argument("--host", default="127.0.0.1", help=t["host"])
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")), help=t["port"])
    p.add_argument("--threads", type=int, default=8, help=t["threads"])

    p = sub.add_parser("demo", help=t["demo"], description=t["demo"])
    p.add_argument("--no-serve", action="store_true", help=t["no_serve"])
    p.add_argument("--reset", action="store_true", help=t["reset"])
    p.add_argument("--host", default="127.0.0.1", help=t["host"])
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")), help=t["port"])
    p.add_argument("--threads", type=int, default=8, help=t["threads"])

    sub.add_parser("migrate", help=t["migrate"], description=t["migrate"])

    p = sub.add_parser("createadmin", help=t["createadmin"], description=t["createadmin"])
    p.add_argument("--username", default="admin", help=t["username"])
    p.add_argument("--email", default="", help=t["email"])
    p.add_argument("--password", default=None, help=t["password"])

    p = sub.add_parser("company-login", help=t["company_login"], description=t["company_login"])
    p.add_argument("company_id", metavar="COMPANY_ID", help=t["company_id"])
    p.add_argument("email", metavar="EMAIL", help=t["login_email"])

    p = sub.add_parser("import", help=t["import"], description=t["import"])
    p.add_argument("what", choices=IMPORT_WHAT, help=t["import_what"])
    p.add_argument("file", help=t["file"])
    p.add_argument("--dry-run", action="store_true", help=t["dry_run"])
    p.add_argument("--organization", default=None, help=t["organization"])
    p.add_argument("--as-user", default=None, help=t["as_user"])
    p.add_argument("--region", default=None, help=t["import_region"])
    p.add_argument("--mapping", default=None, help=t["mapping"])
    p.add_argument("--source-name", default=None, help=t["source_name"])

    p = sub.add_parser("export", help=t["export"], description=t["export"])
    p.add_argument("what", choices=["companies", "organizations", "case-settings"], help=t["export_what"])
    p.add_argument("--region", default=None, help=t["region"])
    p.add_argument("-o", "--output", default=None, help=t["output"])
    p.add_argument(
        "--encoding", default="utf-8-sig", choices=["utf-8-sig", "utf-8", "cp932"], help=t["encoding"]
    )
    p.add_argument("--as-user", default=None, help=t["as_user"])

    p = sub.add_parser("sla", help=t["sla"], description=t["sla"])
    p.add_argument("sla_action", choices=["refresh", "digest"], help=t["sla_action"])
    p.add_argument("--date", default=None, help=t["date"])

    p = sub.add_parser("worker", help=t["worker"], description=t["worker"])
    p.add_argument("--batch", action="store_true", help=t["batch"])
    p.add_argument("--interval", type=float, default=1.0, help=t["interval"])
    p.add_argument("--max-tasks", type=int, default=None, help=t["max_tasks"])
    p.add_argument("--queue", default=None, help=t["queue"])

    p = sub.add_parser("bench", help=t["bench"], description=t["bench"])
    bench = p.add_subparsers(dest="bench_what", metavar="KIND")
    bench.required = True
    b = bench.add_parser("import", help=t["bench_what"] + ": import")
    b.add_argument("--rows", type=int, default=100_000, help=t["rows"])
    b.add_argument("--json", action="store_true", help=t["json"])
    b = bench.add_parser("cases", help=t["bench_what"] + ": cases")
    b.add_argument("--cases", type=int, default=1_000_000, help=t["cases"])
    b.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite", help=t["database"])
    b.add_argument("--requests", type=int, default=30, help=t["requests"])
    b.add_argument("--json", action="store_true", help=t["json"])
    b = bench.add_parser("matching", help=t["bench_what"] + ": matching")
    b.add_argument("dir", nargs="?", help=t["bench_dir"])
    b.add_argument("--all", dest="all_dir", metavar="DIR", help=t["bench_all"])
    b.add_argument("--synthetic", type=int, metavar="N", help=t["synthetic"])
    b.add_argument("--queries", type=int, default=200, help=t["bench_queries"])
    b.add_argument("--json", action="store_true", help=t["json"])

    p = sub.add_parser("match", help=t["match"], description=t["match"])
    p.add_argument("text", help=t["match_text"])
    p.add_argument("--kind", action="append", default=None, help=t["kind"])
    p.add_argument("--limit", type=int, default=10, help=t["limit"])
    p.add_argument("--json", action="store_true", help=t["json"])

    p = sub.add_parser("index", help=t["index"], description=t["index"])
    p.add_argument("index_action", choices=["rebuild", "status"], help=t["index_action"])
    p.add_argument("--json", action="store_true", help=t["json"])
    return parser


def reset_sqlite() -> None:
    """Remove the SQLite database of the data dir (before Django opens it)."""
    if os.environ.get("DATABASE_URL"):
        raise SystemExit("エラー: --reset は SQLite（DATABASE_URL 未設定）のときだけ使えます。")
    data_dir = Path(os.environ.get("RENKEI_DATA_DIR", "var")).resolve()
    for suffix in ("", "-wal", "-shm"):
        (data_dir / f"renkei.sqlite3{suffix}").unlink(missing_ok=True)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkei.settings")
    import django  # noqa: PLC0415 - Django is configured only after the arguments are parsed

    django.setup()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo" and args.reset:
        reset_sqlite()
    setup_django()
    from renkei import commands  # noqa: PLC0415 - needs Django set up

    handler = getattr(commands, f"cmd_{args.command.replace('-', '_')}")
    try:
        return handler(args) or 0
    except KeyboardInterrupt:
        return 130
    except commands.CommandError as exc:
        print(f"エラー: {exc}", file=sys.stderr)
        return 2
