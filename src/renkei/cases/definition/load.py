"""Loading a case-ledger definition: validate everything (errors by JSON path), then write what differs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from renkei.companies.choices import SizeClass
from renkei.core.errors import ValidationFailed
from renkei.core.text import nfkc
from renkei.network.choices import WRITER_ROLES
from renkei.network.definition.shape import Checker, join_path, squash
from renkei.network.models import Category, Membership, Organization, Region, TargetField

from ..choices import BusinessStage, Channel, MeetingKind
from ..models import (
    Case,
    CaseSettings,
    EscalationLadder,
    EscalationStep,
    RoutingRule,
    SlaPolicy,
    TrainingExample,
)
from ..routing import clean_conditions

FORMAT = "renkei-cases/1"

TOP_KEYS = (
    "format",
    "region",
    "note",
    "window",
    "public_intake",
    "handoff_reply_days",
    "receipt_prefix",
    "sla",
    "routing_rules",
    "ladders",
    "training_examples",
)
SLA_KEYS = ("category", "first_response_days", "resolution_days")
RULE_KEYS = ("name", "conditions", "lead_organization", "default_assignee", "active", "note")
LADDER_KEYS = ("name", "default", "description", "steps")
STEP_KEYS = ("name", "owner", "target_days", "categories", "meeting", "external", "description")
EXAMPLE_KEYS = ("category", "field", "text")

MAX_DAYS = 365
MAX_EXAMPLE_CHARS = 4000
DEFAULT_REPLY_DAYS = 5
DEFAULT_TARGET_DAYS = 10


@dataclass
class _Plan:
    region: Region
    settings: dict[str, Any]
    sla: list[dict[str, Any]] | None = None
    rules: list[dict[str, Any]] | None = None
    ladders: list[dict[str, Any]] | None = None
    examples: list[dict[str, Any]] | None = None


class _Reader(Checker):
    """Reads a whole definition into a _Plan, resolving names against the database (nothing is written)."""

    def read(self, data: Any) -> _Plan:
        top = self.obj(data, "", TOP_KEYS)
        if top is None:
            raise ValidationFailed.from_errors(self.errors)
        if top.get("format") != FORMAT:
            self.err(
                "format", f"形式「{top.get('format')}」には対応していません（{FORMAT} を指定してください）。"
            )
        region = self.region(top.get("region"))
        if region is None:  # every other name is resolved inside the region
            raise ValidationFailed.from_errors(self.errors)
        self.region_obj = region
        self.orgs = dict(Organization.objects.filter(region=region).values_list("name", "id"))
        self.categories = dict(Category.objects.values_list("code", "id"))
        self.fields = dict(
            TargetField.objects.filter(Q(region=region) | Q(region__isnull=True)).values_list("code", "id")
        )
        self.note(top)
        plan = _Plan(region=region, settings=self.settings(top))
        if "sla" in top:
            plan.sla = self.sla(top)
        if "routing_rules" in top:
            plan.rules = self.rules(top)
        if "ladders" in top:
            plan.ladders = self.ladders(top)
        if "training_examples" in top:
            plan.examples = self.examples(top)
        if self.errors:
            raise ValidationFailed.from_errors(self.errors)
        return plan

    # -- references ------------------------------------------------------------------------------------------
    def region(self, value: Any) -> Region | None:
        slug = nfkc(value if isinstance(value, str) else "")
        if not slug:
            self.err("region", "地域の識別子（slug、例: chiba）を指定してください。")
            return None
        region = Region.objects.filter(slug=slug).first()
        if region is None:
            known = "、".join(Region.objects.order_by("slug").values_list("slug", flat=True)) or "なし"
            self.err("region", f"地域「{slug}」が見つかりません（登録済み: {known}）。")
        return region

    def organization(self, value: Any, path: str, label: str) -> int | None:
        name = squash(value) if isinstance(value, str) else ""
        if not name:
            self.err(path, f"{label}を機関の名称で指定してください。")
            return None
        found = self.orgs.get(name)
        if found is None:
            self.err(
                path,
                f"{label}「{name[:60]}」が地域「{self.region_obj.slug}」に見つかりません（機関の正式な名称で指定してください）。",
            )
        return found

    def category(self, value: Any, path: str, *, allow_null: bool = False) -> int | None:
        if value is None and allow_null:
            return None
        code = nfkc(value) if isinstance(value, str) else ""
        if not code:
            self.err(path, "相談区分をコードで指定してください（例: technical）。")
            return None
        found = self.categories.get(code)
        if found is None:
            self.err(
                path,
                f"相談区分「{code[:40]}」が定義されていません（categories の code で指定してください）。",
            )
        return found

    def integer(self, d: dict[str, Any], key: str, path: str, label: str, default: int | None = None) -> int:
        value = d.get(key, default)
        where = join_path(path, key)
        if value is None:
            self.err(where, f"{label}を指定してください（1〜{MAX_DAYS}の整数）。")
            return 0
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DAYS:
            self.err(where, f"{label}は1〜{MAX_DAYS}の整数で指定してください（「{str(value)[:20]}」）。")
            return 0
        return value

    # -- sections --------------------------------------------------------------------------------------------
    def note(self, top: dict[str, Any]) -> None:
        value = top.get("note")
        if value is None or isinstance(value, str):
            return
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            self.err("note", "note（説明）は文字列か文字列の一覧で指定してください。")

    def settings(self, top: dict[str, Any]) -> dict[str, Any]:
        window = self.organization(top.get("window"), "window", "相談窓口（window）")
        prefix = self.text(top, "receipt_prefix", "", "受付番号の接頭辞", 8)
        if prefix and not all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in prefix):
            self.err(
                "receipt_prefix", "受付番号の接頭辞は半角英数字とハイフンの8文字以内で指定してください。"
            )
        return {
            "window_organization_id": window,
            "public_intake": self.boolean(
                {"public_intake": True, **top}, "public_intake", "", "public_intake"
            ),
            "handoff_reply_days": self.integer(
                top, "handoff_reply_days", "", "紹介・引継ぎへの回答期限（営業日）", DEFAULT_REPLY_DAYS
            ),
            "receipt_prefix": prefix,
        }

    def sla(self, top: dict[str, Any]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        seen: dict[int | None, str] = {}
        for i, raw in enumerate(self.items(top, "sla", "")):
            where = f"sla[{i}]"
            s = self.obj(raw, where, SLA_KEYS)
            if s is None:
                continue
            category = self.category(s.get("category"), f"{where}.category", allow_null=True)
            first = self.integer(s, "first_response_days", where, "初回対応の目標（営業日）")
            resolution = self.integer(s, "resolution_days", where, "解決の目標（営業日）")
            if first and resolution and first > resolution:
                self.err(
                    f"{where}.first_response_days", "初回対応の目標は解決の目標以下の日数にしてください。"
                )
            if category is None and s.get("category") is not None:
                continue
            if category in seen:
                label = "既定（category: null）" if category is None else f"相談区分「{s.get('category')}」"
                self.err(f"{where}.category", f"{label}の目標が重複しています（{seen[category]} と同じ）。")
                continue
            seen[category] = where
            out.append({"category_id": category, "first_response_days": first, "resolution_days": resolution})
        return out

    def rules(self, top: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        users = get_user_model().objects
        for i, raw in enumerate(self.items(top, "routing_rules", "")):
            where = f"routing_rules[{i}]"
            r = self.obj(raw, where, RULE_KEYS)
            if r is None:
                continue
            lead = self.organization(r.get("lead_organization"), f"{where}.lead_organization", "主担当機関")
            conditions = self.conditions(r.get("conditions"), f"{where}.conditions")
            assignee = None
            username = r.get("default_assignee")
            if username not in (None, ""):
                user = users.filter(username=str(username)).first() if isinstance(username, str) else None
                if user is None:
                    self.err(f"{where}.default_assignee", f"利用者「{str(username)[:40]}」が見つかりません。")
                elif lead and not (
                    Membership.objects.in_force()
                    .filter(user=user, organization_id=lead, role__in=WRITER_ROLES, user__is_active=True)
                    .exists()
                ):
                    self.err(
                        f"{where}.default_assignee",
                        f"利用者「{username}」は主担当機関「{r.get('lead_organization')}」の職員（担当者以上）ではありません。",
                    )
                else:
                    assignee = user.pk
            out.append(
                {
                    "name": self.text(r, "name", where, "ルール名", 120, required=True),
                    "conditions": conditions,
                    "lead_organization_id": lead,
                    "default_assignee_id": assignee,
                    "is_active": self.boolean({"active": True, **r}, "active", where, "active（有効）"),
                    "note": self.text(r, "note", where, "根拠・備考", 300),
                }
            )
        return out

    def conditions(self, raw: Any, path: str) -> dict[str, list[str]]:
        try:
            cleaned = clean_conditions(raw, field_prefix=path)
        except ValidationFailed as exc:
            self.errors.extend(exc.errors)
            return {}
        known: dict[str, tuple[set[str], str]] = {
            "categories": (set(self.categories), "相談区分"),
            "fields": (set(self.fields), "支援対象分野"),
            "channels": (set(Channel.values), "受付経路"),
            "stages": (set(BusinessStage.values), "事業段階"),
            "size_classes": (set(SizeClass.values), "企業規模"),
        }
        for key, values in cleaned.items():
            if key in known:
                allowed, label = known[key]
                for j, value in enumerate(values):
                    if value not in allowed:
                        hint = (
                            ""
                            if key in ("categories", "fields")
                            else f"（使えるもの: {'、'.join(sorted(allowed))}）"
                        )
                        self.err(f"{path}.{key}[{j}]", f"{label}「{value[:40]}」はありません{hint}。")
            elif key == "jsic_prefixes":
                for j, value in enumerate(values):
                    if not (value.isascii() and value.isalnum() and len(value) <= 4):
                        self.err(
                            f"{path}.{key}[{j}]",
                            f"産業分類「{value[:20]}」は分類コード（例: E、24、2442）で指定してください。",
                        )
        return cleaned

    def ladders(self, top: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        defaults: list[str] = []
        for i, raw in enumerate(self.items(top, "ladders", "")):
            where = f"ladders[{i}]"
            lad = self.obj(raw, where, LADDER_KEYS)
            if lad is None:
                continue
            is_default = self.boolean(lad, "default", where, "default（既定）")
            if is_default:
                defaults.append(where)
            steps = [
                step
                for j, s in enumerate(self.items(lad, "steps", where))
                if (step := self.step(s, f"{where}.steps[{j}]")) is not None
            ]
            if not steps and "steps" in lad:
                self.err(f"{where}.steps", "段階を1つ以上指定してください。")
            out.append(
                {
                    "path": where,
                    "name": self.text(lad, "name", where, "名称", 120, required=True),
                    "is_default": is_default,
                    "description": self.text(lad, "description", where, "説明", 10_000),
                    "steps": steps,
                }
            )
        if len(defaults) > 1:
            self.err(
                f"{defaults[1]}.default", f"既定（default: true）は1つだけです（{defaults[0]} も既定です）。"
            )
        elif out and not defaults:
            if len(out) == 1:
                out[0]["is_default"] = True  # the only ladder is the one new cases climb
            else:
                self.err(
                    "ladders",
                    "既定（default: true）の段階を1つ指定してください（新しい相談はそれに沿って進みます）。",
                )
        self.check_removals(out)
        return out

    def step(self, raw: Any, where: str) -> dict[str, Any] | None:
        s = self.obj(raw, where, STEP_KEYS)
        if s is None:
            return None
        owner = None
        if s.get("owner") is not None:
            owner = self.organization(s.get("owner"), f"{where}.owner", "担当機関（owner）")
        meeting = s.get("meeting") or ""
        if meeting not in ("", *MeetingKind.values):
            self.err(
                f"{where}.meeting",
                f"会議「{str(meeting)[:20]}」はありません（regular: 定例会議、support: 連携支援会議、other、空欄）。",
            )
            meeting = ""
        categories = []
        for j, value in enumerate(self.items(s, "categories", where)):
            found = self.category(value, f"{where}.categories[{j}]")
            if found is not None:
                categories.append(found)
        return {
            "name": self.text(s, "name", where, "段階の名称", 120, required=True),
            "owner_organization_id": owner,
            "target_days": self.integer(s, "target_days", where, "目標（営業日）", DEFAULT_TARGET_DAYS),
            "categories": sorted(set(categories)),
            "meeting_kind": meeting,
            "is_external": self.boolean(s, "external", where, "external（地域外を含めて支援）"),
            "description": self.text(s, "description", where, "説明", 10_000),
        }

    def check_removals(self, ladders: list[dict[str, Any]]) -> None:
        """Ladders and steps the file drops must not be in use by a case (they are protected)."""
        existing = list(EscalationLadder.objects.filter(region=self.region_obj).order_by("id"))
        for i, ladder in enumerate(existing):
            if i >= len(ladders):
                used = Case.objects.filter(ladder=ladder).count()
                if used:
                    self.err(
                        "ladders",
                        f"「{ladder.name}」は {used:,} 件の相談案件が使っているため削除できません（ladders に残してください）。",
                    )
                continue
            keep = len(ladders[i]["steps"])
            for step in EscalationStep.objects.filter(ladder=ladder, position__gt=keep):
                used = Case.objects.filter(step=step).count()
                if used:
                    self.err(
                        f"{ladders[i]['path']}.steps",
                        f"Step {step.position}「{step.name}」は {used:,} 件の相談案件が使っているため削除できません。",
                    )

    def examples(self, top: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for i, raw in enumerate(self.items(top, "training_examples", "")):
            where = f"training_examples[{i}]"
            e = self.obj(raw, where, EXAMPLE_KEYS)
            if e is None:
                continue
            category = self.category(e.get("category"), f"{where}.category")
            target_field = None
            if e.get("field") not in (None, ""):
                code = nfkc(str(e["field"]))
                target_field = self.fields.get(code)
                if target_field is None:
                    self.err(
                        f"{where}.field",
                        f"支援対象分野「{code[:40]}」は地域「{self.region_obj.slug}」にありません。",
                    )
            text = self.text(e, "text", where, "本文", MAX_EXAMPLE_CHARS, required=True)
            out.append({"category_id": category, "target_field_id": target_field, "text": text})
        return out


# ---------------------------------------------------------------------------------------------------------------
# writing


def _changed(obj: Any, values: dict[str, Any]) -> bool:
    """Set ``values`` on ``obj``; True when anything differed (then the caller saves)."""
    differs = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            differs = True
    return differs


def _write_settings(plan: _Plan) -> int:
    current = CaseSettings.objects.filter(region=plan.region).first()
    if current is None:
        CaseSettings.objects.create(region=plan.region, **plan.settings)
        return 1
    if _changed(current, plan.settings):
        current.save()
        return 1
    return 0


def _write_sla(plan: _Plan) -> int:
    changed = 0
    existing = {p.category_id: p for p in SlaPolicy.objects.filter(region=plan.region)}
    wanted = {spec["category_id"] for spec in plan.sla or []}
    for category_id, policy in existing.items():
        if category_id not in wanted:
            policy.delete()
            changed += 1
    for spec in plan.sla or []:
        policy = existing.get(spec["category_id"])
        if policy is None:
            SlaPolicy.objects.create(region=plan.region, **spec)
            changed += 1
        elif _changed(policy, spec):
            policy.save()
            changed += 1
    return changed


def _write_rules(plan: _Plan) -> int:
    changed = 0
    existing = {r.position: r for r in RoutingRule.objects.filter(region=plan.region)}
    rules = plan.rules or []
    for position, rule in existing.items():
        if position > len(rules):
            rule.delete()
            changed += 1
    for position, spec in enumerate(rules, start=1):
        rule = existing.get(position)
        if rule is None:
            RoutingRule.objects.create(region=plan.region, position=position, **spec)
            changed += 1
        elif _changed(rule, spec):
            rule.save()
            changed += 1
    return changed


def _write_ladders(plan: _Plan) -> int:
    changed = 0
    specs = plan.ladders or []
    existing = list(EscalationLadder.objects.filter(region=plan.region).order_by("id"))
    for ladder in existing[len(specs) :]:
        EscalationStep.objects.filter(ladder=ladder).delete()
        ladder.delete()
        changed += 1
    existing = existing[: len(specs)]
    # One default per region (a database constraint): clear the flag first where it moves away.
    for ladder, spec in zip(existing, specs, strict=False):
        if ladder.is_default and not spec["is_default"]:
            ladder.is_default = False
            ladder.save(update_fields=["is_default", "updated_at"])
            changed += 1
    for i, spec in enumerate(specs):
        values = {"name": spec["name"], "is_default": spec["is_default"], "description": spec["description"]}
        if i < len(existing):
            ladder = existing[i]
            if _changed(ladder, values):
                ladder.save()
                changed += 1
        else:
            ladder = EscalationLadder.objects.create(region=plan.region, **values)
            changed += 1
        changed += _write_steps(ladder, spec["steps"])
    return changed


def _write_steps(ladder: EscalationLadder, specs: list[dict[str, Any]]) -> int:
    changed = 0
    existing = {
        s.position: s for s in EscalationStep.objects.filter(ladder=ladder).prefetch_related("categories")
    }
    for position, step in existing.items():
        if position > len(specs):
            step.delete()
            changed += 1
    for position, spec in enumerate(specs, start=1):
        values = {k: v for k, v in spec.items() if k != "categories"}
        step = existing.get(position)
        if step is None:
            step = EscalationStep.objects.create(ladder=ladder, position=position, **values)
            changed += 1
            current: list[int] = []
        else:
            if _changed(step, values):
                step.save()
                changed += 1
            current = sorted(c.pk for c in step.categories.all())
        if current != spec["categories"]:
            step.categories.set(spec["categories"])
            changed += 1 if current or spec["categories"] else 0
    return changed


def _write_examples(plan: _Plan) -> int:
    seeded = TrainingExample.objects.filter(region=plan.region, case__isnull=True).order_by("id")
    current = list(seeded.values("category_id", "target_field_id", "text"))
    wanted = plan.examples or []
    if current == wanted:
        return 0
    # Replaced as a whole (new ids), so the classifier's cache — keyed by count and highest id — sees the change.
    seeded.delete()
    TrainingExample.objects.bulk_create([TrainingExample(region=plan.region, **spec) for spec in wanted])
    return len(current) + len(wanted)


@transaction.atomic
def cases_definition_load(*, data: dict) -> dict[str, int]:
    """Validate ``data`` completely, then write it in one transaction.

    Raises ValidationFailed (FieldErrors keyed by JSON path, Japanese messages) and writes nothing when anything
    is wrong. Returns how many of each thing the region now holds and ``changed`` (rows written; 0 on a reload).
    """
    plan = _Reader().read(data)
    changed = _write_settings(plan)
    if plan.sla is not None:
        changed += _write_sla(plan)
    if plan.rules is not None:
        changed += _write_rules(plan)
    if plan.ladders is not None:
        changed += _write_ladders(plan)
    if plan.examples is not None:
        changed += _write_examples(plan)
    region = plan.region
    return {
        "sla": SlaPolicy.objects.filter(region=region).count(),
        "routing_rules": RoutingRule.objects.filter(region=region).count(),
        "ladders": EscalationLadder.objects.filter(region=region).count(),
        "steps": EscalationStep.objects.filter(ladder__region=region).count(),
        "training_examples": TrainingExample.objects.filter(region=region, case__isnull=True).count(),
        "changed": changed,
    }
