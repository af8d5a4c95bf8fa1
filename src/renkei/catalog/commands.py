"""``renkei import-catalog KIND FILE`` (wired by ``renkei.cli``): KAKEN CSV, jGrants JSON, or CSV/.xlsx of a kind.

KIND is ``kaken``, ``jgrants`` or one of ``seeds``, ``researchers``, ``equipment``, ``test-services``,
``programs``. Prints the import's Japanese report (every bad row with its row number, column and reason) and
returns 0 when everything was (or, with ``dry_run``, could be) imported, 1 otherwise; an unusable request (no
such file, kind, region or user) raises ``CommandError``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from renkei.core.errors import CommandError

from .choices import KINDS
from .importing import import_catalog_table, import_jgrants, import_kaken
from .importing.common import find_region

IMPORT_KINDS = ("kaken", "jgrants", *KINDS)


def cmd_import_catalog(
    kind: str,
    path: str | Path,
    *,
    dry_run: bool = False,
    region: str | None = None,
    mapping: str | Path | None = None,
    stdout: TextIO | None = None,
    as_user: str | None = None,
    organization: str | None = None,
    source_name: str | None = None,
) -> int:
    """Import ``path`` as ``kind``; ``region`` (slug, name or id) owns the items, ``mapping`` is a JSON file of
    header → field for the generic kinds, ``organization`` their default body (name or id)."""
    out = stdout or sys.stdout
    if kind not in IMPORT_KINDS:
        raise CommandError(f"取り込む種類「{kind}」はありません（{', '.join(IMPORT_KINDS)} のいずれか）。")
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"ファイルが見つかりません: {file}")
    if mapping is not None and not Path(mapping).is_file():
        raise CommandError(f"列の対応づけのファイルが見つかりません: {mapping}")
    if mapping is not None and kind in ("kaken", "jgrants"):
        raise CommandError("列の対応づけ（--mapping）は seeds・equipment などの表の取り込みにだけ使えます。")
    try:
        region_obj = find_region(region)
    except LookupError as exc:
        raise CommandError(str(exc)) from None
    actor = _actor(as_user)
    if kind == "kaken":
        result = import_kaken(file, actor=actor, region=region_obj, dry_run=dry_run)
    elif kind == "jgrants":
        result = import_jgrants(file, actor=actor, region=region_obj, dry_run=dry_run)
    else:
        result = import_catalog_table(
            kind,
            file,
            actor=actor,
            region=region_obj,
            organization=organization,
            mapping=mapping,
            dry_run=dry_run,
            source_name=source_name,
        )
    for line in result.report_lines():
        print(line, file=out)
    return 0 if result.ok else 1


def _actor(username: str | None) -> User:
    """The named active user, else the first superuser (as the other ``renkei import`` commands do)."""
    users = get_user_model().objects.filter(is_active=True)
    user = (
        users.filter(username=username).first()
        if username
        else users.filter(is_superuser=True).order_by("pk").first()
    )
    if user is None:
        if username:
            raise CommandError(f"利用者 {username} は見つかりません。")
        raise CommandError(
            "スーパーユーザーがいません。renkei createadmin で作成するか --as-user を指定してください。"
        )
    return user
