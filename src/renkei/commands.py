"""Handlers behind the ``renkei`` command (Django is set up before any of these run)."""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from waitress import serve

from renkei.bench.imports import run_import_bench
from renkei.cases.commands import cmd_sla, cmd_worker  # noqa: F401 - handlers are found by name
from renkei.catalog.commands import IMPORT_KINDS as CATALOG_IMPORT_KINDS
from renkei.catalog.commands import cmd_import_catalog
from renkei.companies.accounts import create_company_login
from renkei.companies.exporting import export_companies
from renkei.companies.importing import import_companies
from renkei.core.errors import ApplicationError, CommandError
from renkei.core.text import nfkc
from renkei.demo.loader import load_demo
from renkei.network.exporting import export_organizations
from renkei.network.importing import import_organizations
from renkei.wsgi import application


def cmd_migrate(args) -> int:
    call_command("migrate", interactive=False, verbosity=1)
    return 0


def cmd_serve(args) -> int:
    call_command("migrate", interactive=False, verbosity=0)
    print(f"renkei: http://{args.host}:{args.port}/ で待ち受けています（Ctrl+C で終了）", flush=True)
    serve(application, host=args.host, port=args.port, threads=args.threads, ident="renkei")
    return 0


def cmd_demo(args) -> int:
    call_command("migrate", interactive=False, verbosity=0)
    summary = load_demo(out=sys.stdout)
    if args.no_serve:
        return 0
    if summary.get("logins"):
        print("\nデモ用ログイン（パスワードはすべて同じ）:")
        for line in summary["logins"]:
            print(f"  {line}")
    return cmd_serve(args)


def cmd_createadmin(args) -> int:
    User = get_user_model()
    password = args.password or os.environ.get("RENKEI_ADMIN_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            raise CommandError(
                "パスワードを --password か環境変数 RENKEI_ADMIN_PASSWORD で指定してください。"
            )
        password = getpass.getpass("パスワード: ")
        if password != getpass.getpass("パスワード（確認）: "):
            raise CommandError("パスワードが一致しません。")
    if User.objects.filter(username=args.username).exists():
        raise CommandError(f"ユーザー名 {args.username} はすでに使われています。")
    try:
        validate_password(password)
    except ValidationError as exc:
        raise CommandError(" ".join(exc.messages)) from None
    User.objects.create_superuser(username=args.username, email=args.email, password=password)
    print(f"管理者 {args.username} を作成しました。")
    return 0


def cmd_company_login(args) -> int:
    """A company login issued by the system (the command line has full rights, like the admin)."""
    company_id = nfkc(args.company_id)
    if not (company_id.isascii() and company_id.isdigit()):
        raise CommandError(f"企業の ID は数字で指定してください（指定: {args.company_id}）。")
    try:
        user, password = create_company_login(actor=None, company_id=int(company_id), email=args.email)
    except ApplicationError as exc:
        raise CommandError(exc.message) from None
    print(
        f"企業ログインを作成しました: {user.email}（初期パスワード: {password}）。初回ログイン後に /password/（画面右上の「パスワード変更」）で変更してください。"
    )
    return 0


def acting_user(username: str | None):
    User = get_user_model()
    if username:
        try:
            return User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"利用者 {username} は見つかりません。") from None
    user = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if user is None:
        raise CommandError(
            "スーパーユーザーがいません。renkei createadmin で作成するか --as-user を指定してください。"
        )
    return user


def cmd_import(args) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"ファイルが見つかりません: {path}")
    if args.what == "case-settings":
        return _import_case_settings(path, dry_run=args.dry_run)
    if args.what in CATALOG_IMPORT_KINDS:
        return cmd_import_catalog(
            args.what,
            path,
            dry_run=args.dry_run,
            region=args.region,
            mapping=args.mapping,
            as_user=args.as_user,
            organization=args.organization,
            source_name=args.source_name,
        )
    actor = acting_user(args.as_user)
    if args.what == "companies":
        organization = args.organization
        if organization is not None and not str(organization).isdigit():
            raise CommandError("--organization には登録機関の ID（数字）を指定してください。")
        result = import_companies(
            path,
            actor=actor,
            owner_organization_id=int(organization) if organization else None,
            dry_run=args.dry_run,
        )
    else:
        result = import_organizations(path, actor=actor, dry_run=args.dry_run)
    for line in result.report_lines():
        print(line)
    return 0 if result.ok else 1


def _import_case_settings(path: Path, *, dry_run: bool) -> int:
    """A region's case configuration (renkei-cases/1 JSON): every error with its path, or all of it written."""
    from django.db import transaction  # noqa: PLC0415

    from renkei.cases.definition import cases_definition_load  # noqa: PLC0415

    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CommandError(f"JSON として読めません: {path}（{exc}）") from None
    try:
        with transaction.atomic():
            counts = cases_definition_load(data=data)
            if dry_run:
                transaction.set_rollback(True)
    except ApplicationError as exc:
        for e in exc.errors or []:
            print(f"  {e.field}: {e.message}", file=sys.stderr)
        raise CommandError(exc.message) from None
    verb = "検証しました（書き込みはしていません）" if dry_run else "取り込みました"
    summary = "、".join(f"{k} {v}" for k, v in counts.items())
    print(f"相談の設定を{verb}: {summary}")
    return 0


def cmd_export(args) -> int:
    if args.what == "case-settings":
        from renkei.cases.definition import cases_definition_dump  # noqa: PLC0415

        if not args.region:
            raise CommandError("--region で地域を指定してください（例: --region chiba）。")
        try:
            text = json.dumps(cases_definition_dump(args.region), ensure_ascii=False, indent=2) + "\n"
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
            print(f"相談の設定を {args.output} に書き出しました。", file=sys.stderr)
        else:
            sys.stdout.write(text)
        return 0
    actor = acting_user(args.as_user)
    exporter = export_companies if args.what == "companies" else export_organizations
    try:
        if args.output:
            n = exporter(actor=actor, path=Path(args.output), encoding=args.encoding)
            print(f"{n} 件を {args.output} に書き出しました。", file=sys.stderr)
        else:
            exporter(actor=actor, stream=sys.stdout, encoding=args.encoding)
    except ApplicationError as exc:
        raise CommandError(exc.message) from None
    except OSError as exc:
        raise CommandError(f"書き出せませんでした: {exc}") from None
    return 0


def cmd_bench(args) -> int:
    if args.bench_what == "import":
        if args.rows < 1:
            raise CommandError("--rows は 1 以上を指定してください。")
        try:
            result = run_import_bench(rows=args.rows)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        if args.json:
            print(json.dumps(result, ensure_ascii=False, indent=2))
        else:
            for key, value in result.items():
                print(f"{key}: {value}")
        return 0
    if args.bench_what == "matching":
        from renkei.bench.matching import DatasetError, run  # noqa: PLC0415 - heavy, only for this command

        if args.synthetic is not None and args.synthetic < 1:
            raise CommandError("--synthetic は 1 以上を指定してください。")
        try:
            return run(args)
        except (DatasetError, FileNotFoundError) as exc:
            raise CommandError(str(exc)) from None
    if args.bench_what == "cases":
        from renkei.bench.cases import run_cases_bench  # noqa: PLC0415 - heavy, only for this command

        if args.cases < 1 or args.requests < 1:
            raise CommandError("--cases と --requests は 1 以上を指定してください。")
        try:
            result = run_cases_bench(
                cases=args.cases, database=args.database, requests=args.requests, out=sys.stderr
            )
        except (RuntimeError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        if args.json:
            print(json.dumps(result, ensure_ascii=False, indent=2))
        else:
            for page, figures in result["pages"].items():
                print(f"{page}: {figures}")
        return 0
    raise CommandError(f"未知の測定です: {args.bench_what}")


def cmd_match(args) -> int:
    """Search as the first superuser sees it (the command line runs with full rights, like the admin)."""
    from renkei.matching.services import match  # noqa: PLC0415

    user = get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    try:
        response = match(user=user, text=args.text, kinds=args.kind, limit=args.limit)
    except ApplicationError as exc:
        raise CommandError(exc.message) from None
    if args.json:
        print(json.dumps(response.as_dict(), ensure_ascii=False, indent=2))
        return 0
    if not response.items:
        print("該当する候補は見つかりませんでした。")
        return 0
    for item in response.items:
        print(f"{item.rank:>2}. [{item.kind_label}] {item.title}  ({item.score:.3f})")
        if item.subtitle:
            print(f"    {item.subtitle}")
        print(f"    理由: {item.explanation.summary()}")
    if not response.semantic:
        print("（意味の近さの計算は無効です: ja-ginza の語ベクトルが入っていません）")
    return 0


def cmd_index(args) -> int:
    from renkei.matching import store  # noqa: PLC0415

    if args.index_action == "rebuild":
        result = store.rebuild()
        data = {
            "version": result.version,
            "documents": result.documents,
            "seconds": result.seconds,
            "semantic": result.semantic,
        }
    else:
        from renkei.matching.models import IndexState  # noqa: PLC0415

        state = IndexState.objects.filter(pk=1).first()
        data = {
            "version": store.current_version(),
            "documents": state.documents if state else 0,
            "stale": store.is_stale(),
            "changed_at": state.changed_at.isoformat() if state and state.changed_at else None,
            "mode": store.update_mode(),
        }
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        for key, value in data.items():
            print(f"{key}: {value}")
    return 0
