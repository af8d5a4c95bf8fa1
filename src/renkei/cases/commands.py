"""Handlers for ``renkei sla refresh|digest [--date YYYY-MM-DD]`` and ``renkei worker`` (wired by ``renkei.cli``).

They print Japanese lines and raise ``CommandError`` (message shown as 「エラー: …」, exit status 2) like the
handlers in ``renkei.commands``.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from django.core.management import call_command
from django.utils import timezone
from django_tasks import task_backends

from renkei.core.errors import CommandError  # the one the CLI catches

from .daily import schedule_daily, sla_daily, sla_digest


def parse_day(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(f"日付は YYYY-MM-DD の形で指定してください（例: 2025-04-01）: {value}") from None


def cmd_sla(args: argparse.Namespace) -> int:
    """``renkei sla refresh``: refresh the SLA clocks and notify; ``renkei sla digest``: mail the digest."""
    day = parse_day(getattr(args, "date", None))
    action = getattr(args, "sla_action", None) or getattr(args, "action", None)
    if action == "refresh":
        result = sla_daily(on=day)
        buckets = result["by_bucket"]
        print(f"{result['date']} 時点の対応期限を更新しました。")
        print(f"  状況が変わった案件: {result['changes']} 件（悪化 {result['worsened']} 件）")
        print(
            f"  変更後の内訳: 期限内 {buckets['on_time']} 件・期限間近 {buckets['at_risk']} 件・"
            f"期限超過 {buckets['late']} 件・大幅超過 {buckets['very_late']} 件"
        )
        print(f"  通知: {result['notifications']} 件")
        return 0
    if action == "digest":
        sent = sla_digest(on=day)
        print(f"期限の近い・過ぎた案件のお知らせを {sent} 人に送信しました。")
        return 0
    raise CommandError(f"未知の操作です: {action}（refresh か digest を指定してください）")


def cmd_worker(args: argparse.Namespace) -> int:
    """``renkei worker``: run the database task queue (e-mails, the daily SLA job) until stopped."""
    backend = task_backends["default"]
    if not backend.supports_defer:
        raise CommandError(
            "タスクをデータベースに溜める設定ではありません。RENKEI_TASK_BACKEND=database を設定して"
            "Web サーバーとワーカーの両方を起動してください（既定の immediate ではタスクはその場で実行されるため、"
            "ワーカーは不要です）。"
        )
    when = schedule_daily()
    if when is not None:
        print(
            f"毎日の対応期限の更新とお知らせ: 次回 {timezone.localtime(when):%Y-%m-%d %H:%M} に実行します。"
        )
    options: dict[str, Any] = {
        "queue_name": getattr(args, "queue", None) or "*",
        "interval": float(getattr(args, "interval", 1.0) or 1.0),
        "batch": bool(getattr(args, "batch", False)),
        "reload": False,
        "verbosity": int(getattr(args, "verbosity", 1)),
    }
    if options["batch"]:
        options["startup_delay"] = False
    if getattr(args, "max_tasks", None):
        options["max_tasks"] = int(args.max_tasks)
    if options["batch"]:
        print("溜まっているタスクを実行して終了します。", flush=True)
    else:
        print("タスクワーカーを起動しました（Ctrl+C で終了）。", flush=True)
    call_command("db_worker", **options)
    return 0
