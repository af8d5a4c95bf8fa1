"""Forms of the case ledger's web pages. They only carry what a person typed or picked: every rule lives in
``validation.py`` and the services, whose errors the views map back onto these fields (the typed values stay).

Field names are the keys the services use (``text``, ``company_name``, ``category`` …) so that a service's
``FieldError`` lands on the field it is about; ``SERVICE_FIELD_ALIASES`` covers the few that differ.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import Q

from renkei.companies.choices import SizeClass
from renkei.companies.selectors import company_list
from renkei.core.models import Prefecture
from renkei.core.text import nfkc
from renkei.core.wareki import fiscal_year, fiscal_year_label
from renkei.network.models import Category, Organization, PartnerNetworkMember, Region, TargetField

from .choices import BusinessStage, CaseStatus, Channel, ConsentScope, SlaBucket
from .clocks import today
from .models import Case, EscalationStep

# A service's field name → the form field that shows its error.
SERVICE_FIELD_ALIASES = {
    "company_id": "company",
    "lead_organization_id": "lead_organization",
    "assignee_id": "assignee",
    "to_organization_id": "to_organization",
    "to_user_id": "to_organization",
    "status": "to_status",
    "correction_of": "text",
}

CONSENT_HELP = {
    ConsentScope.SUMMARY: "件名・概要・相談区分・状態だけを共有します。企業名・相談内容・連絡先は伝わりません。",
    ConsentScope.DETAIL: "相談内容の全文・企業名・添付ファイルまで共有します。相談者の連絡先は伝わりません。",
    ConsentScope.CONTACTS: "相談者の氏名・電話番号・メールアドレスまで共有します（企業の同意を確認してください）。",
}


def _text(label: str, help_text: str = "", *, required: bool = False, **attrs: str) -> forms.CharField:
    """A text input; ``required`` only marks it 必須 for people (the service decides and explains)."""
    widget_attrs = {"autocomplete": "off", **attrs}
    if required:
        widget_attrs["required"] = "required"
    return forms.CharField(
        label=label, required=False, help_text=help_text, widget=forms.TextInput(attrs=widget_attrs)
    )


def _area(label: str, help_text: str = "", *, rows: int = 4, required: bool = False) -> forms.CharField:
    attrs: dict[str, Any] = {"rows": rows}
    if required:
        attrs["required"] = "required"
    return forms.CharField(
        label=label, required=False, help_text=help_text, strip=False, widget=forms.Textarea(attrs=attrs)
    )


def _choice(label: str, choices: Any = (), help_text: str = "") -> forms.ChoiceField:
    return forms.ChoiceField(label=label, required=False, choices=choices, help_text=help_text)


# ---------------------------------------------------------------------------------------------------------------
# choices built from reference data and configuration


def prefecture_choices() -> list[tuple[str, str]]:
    return [("", "選んでください"), *Prefecture.objects.order_by("code").values_list("code", "name")]


def public_region_choices() -> list[tuple[str, str]]:
    rows = (
        Region.objects.filter(is_home=True, case_settings__public_intake=True)
        .order_by("prefecture__code")
        .values_list("slug", "name")
    )
    return list(rows)


def category_choices(blank: str = "（未分類）") -> list[tuple[str, str]]:
    """Two levels, children indented under their parent, as (code, label)."""
    rows = list(
        Category.objects.order_by("sort_order", "code").values_list("pk", "code", "name", "parent_id")
    )
    children: dict[int | None, list[tuple[int, str, str]]] = {}
    for pk, code, name, parent in rows:
        children.setdefault(parent, []).append((pk, code, name))
    out: list[tuple[str, str]] = [("", blank)]
    for pk, code, name in children.get(None, []):
        out.append((code, name))
        out.extend((c_code, f"　└ {c_name}") for _, c_code, c_name in children.get(pk, []))
    return out


def category_id_choices(blank: str = "すべて") -> list[tuple[str, str]]:
    """Like ``category_choices`` but keyed by id (the inbox filters by id)."""
    rows = list(Category.objects.order_by("sort_order", "code").values_list("pk", "name", "parent_id"))
    out: list[tuple[str, str]] = [("", blank)]
    for pk, name, parent in rows:
        if parent is None:
            out.append((str(pk), name))
            out.extend((str(c), f"　└ {n}") for c, n, p in rows if p == pk)
    return out


def target_field_choices(region_ids: list[int], blank: str = "（未設定）") -> list[tuple[str, str]]:
    rows = list(
        TargetField.objects.filter(Q(region_id__in=region_ids) | Q(region__isnull=True))
        .order_by("region_id", "sort_order", "code")
        .values_list("pk", "code", "name", "parent_id")
    )
    out: list[tuple[str, str]] = [("", blank)]
    for pk, code, name, parent in rows:
        if parent is None:
            out.append((code, name))
            out.extend((c_code, f"　└ {c_name}") for _, c_code, c_name, p in rows if p == pk)
    return out


def stage_choices(blank: str = "（未設定）") -> list[tuple[str, str]]:
    return [("", blank), *BusinessStage.choices]


def status_filter_choices() -> list[tuple[str, str]]:
    return [("open", "未完了"), ("finished", "完了"), ("all", "すべて"), *CaseStatus.choices]


def fiscal_year_choices(years: int = 5) -> list[tuple[str, str]]:
    current = fiscal_year(today())
    return [("", "すべて")] + [(str(y), fiscal_year_label(y)) for y in range(current, current - years, -1)]


def step_choices(region_ids: list[int] | None) -> list[tuple[str, str]]:
    qs = EscalationStep.objects.select_related("ladder").order_by(
        "ladder__region_id", "ladder_id", "position"
    )
    if region_ids is not None:
        qs = qs.filter(ladder__region_id__in=region_ids)
    rows = list(qs)
    several = len({s.ladder_id for s in rows}) > 1
    return [("", "すべて")] + [
        (str(s.pk), (f"{s.ladder.name} " if several else "") + f"Step {s.position} {s.name}") for s in rows
    ]


def handoff_target_choices(case: Case) -> list[tuple[str, list[tuple[int, str]]]]:
    """Grouped choices for a hand-off: the region's bodies, then partner-network bodies outside the region."""
    inside = [
        (o.pk, o.name)
        for o in Organization.objects.filter(region_id=case.region_id)
        .exclude(pk=case.lead_organization_id)
        .order_by("name")
    ]
    groups: list[tuple[str, list[tuple[int, str]]]] = [(f"{case.region.name}の機関", inside)]
    members = (
        PartnerNetworkMember.objects.filter(network__members__region_id=case.region_id)
        .exclude(organization__region_id=case.region_id)
        .select_related("network", "organization__region")
        .order_by("network__name", "organization__region__prefecture__code", "organization__name")
        .distinct()
    )
    seen: set[int] = set()
    by_network: dict[str, list[tuple[int, str]]] = {}
    for m in members:
        if m.organization_id in seen:
            continue
        seen.add(m.organization_id)
        by_network.setdefault(m.network.name, []).append(
            (m.organization_id, f"{m.organization.name}（{m.organization.region.name}）")
        )
    groups.extend((f"地域外: {name}", rows) for name, rows in by_network.items())
    return groups


_COMPANY_ID = re.compile(r"[（(]\s*ID\s*(\d+)\s*[)）]\s*$")


def company_option_label(pk: int, name: str) -> str:
    """How a company is offered in the datalist and typed back: '株式会社〇〇（ID 12）'."""
    return f"{name}（ID {pk}）"


def resolve_company(user: Any, typed: str) -> tuple[int | None, str | None]:
    """(company id, None) for what was typed in the company field, or (None, a Japanese reason)."""
    text = nfkc(typed or "").strip()
    if not text:
        return None, None
    visible = company_list(user=user)
    match = _COMPANY_ID.search(text)
    if match:
        pk = int(match.group(1))
        if visible.filter(pk=pk).exists():
            return pk, None
        return None, "この企業は見つかりません（閲覧できる企業から選んでください）。"
    ids = list(visible.filter(name=text).values_list("pk", flat=True)[:2])
    if len(ids) == 1:
        return ids[0], None
    if len(ids) > 1:
        return None, "同じ名前の企業が複数あります。候補の一覧から選んでください。"
    return (
        None,
        "登録済みの企業に見つかりません。未登録の企業なら「企業名（未登録の場合）」に入力してください。",
    )


# ---------------------------------------------------------------------------------------------------------------
# intake


class PublicConsultForm(forms.Form):
    """The public consultation form (no login). Required marks are for people; the service validates."""

    company_name = _text("企業名", "例: 株式会社〇〇製作所", required=True, autocomplete="organization")
    contact_name = _text("お名前", "例: 山田 太郎", required=True, autocomplete="name")
    email = _text(
        "メールアドレス",
        "受付番号をこのアドレスにお送りします。",
        required=True,
        type="email",
        autocomplete="email",
        inputmode="email",
    )
    phone = _text(
        "電話番号", "例: 043-223-2711（全角の数字も使えます）", required=True, type="tel", autocomplete="tel"
    )
    prefecture = _choice("所在都道府県", help_text="貴社の所在地")
    region = _choice("相談先の地域", help_text="相談を受け付ける地域の支援ネットワーク")
    title = _text("件名（任意）", "空欄の場合は相談内容の1行目から作ります。")
    text = _area(
        "相談内容",
        "困っていること、実現したいこと、これまでに試したことなどを自由にお書きください（20,000文字まで）。",
        rows=10,
        required=True,
    )
    consent_outside_region = forms.BooleanField(
        label="地域外の連携機関への紹介に同意する",
        required=False,
        help_text="同意いただくと、県外の公設試験研究機関・大学などへもご相談を紹介できます。",
    )
    website = forms.CharField(
        label="ウェブサイト（入力しないでください）",
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    # The order of the page (and so of the error summary).
    field_order = (
        "region",
        "title",
        "text",
        "company_name",
        "contact_name",
        "email",
        "phone",
        "prefecture",
        "consent_outside_region",
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["prefecture"].choices = prefecture_choices()
        regions = public_region_choices()
        self.fields["region"].choices = regions if len(regions) == 1 else [("", "選んでください"), *regions]

    def service_data(self) -> dict[str, Any]:
        """What the person typed, for ``case_create_public`` (the raw values: the service cleans them)."""
        keys = ("company_name", "contact_name", "email", "phone", "prefecture", "region", "title", "text")
        data: dict[str, Any] = {key: self.data.get(key, "") for key in keys}
        data["consent_outside_region"] = bool(self.cleaned_data.get("consent_outside_region"))
        data["website"] = self.data.get("website", "")
        return data


class CaseCreateForm(forms.Form):
    """Staff intake (窓口, 電話, 訪問 …) for ``services.case_create``."""

    organization_id = forms.TypedChoiceField(label="受付機関", coerce=int, choices=(), empty_value=None)
    channel = _choice("受付経路", Channel.choices)
    received_at = _text("受付日", "例: 2025-04-01 または 令和7年4月1日（空欄は今日）")
    company = _text(
        "企業（登録済みの企業）",
        "企業名を入力すると、閲覧できる登録済み企業が候補に出ます。未登録なら空欄にしてください。",
        list="company-options",
    )
    company_name = _text("企業名（未登録の場合）", autocomplete="off")
    contact_name = _text("相談者氏名")
    email = _text("メールアドレス", inputmode="email")
    phone = _text("電話番号", "全角の数字・ハイフンも使えます", inputmode="tel")
    prefecture = _choice("所在都道府県")
    title = _text("件名", "空欄の場合は相談内容の1行目から作ります。")
    text = _area("相談内容", "機密として扱われ、閲覧は記録されます。", rows=8, required=True)
    summary = _area(
        "概要", "紹介先に「概要のみ」で共有される内容です。企業名や個人名を書かないでください。", rows=3
    )
    category = _choice("相談区分（分かれば）")
    target_field = _choice("支援対象分野（分かれば）")
    stage = _choice("事業段階", stage_choices())
    consent_outside_region = forms.BooleanField(
        label="地域外の連携機関への紹介に企業が同意している", required=False
    )

    FIELDSETS = (
        ("受付", ("organization_id", "channel", "received_at")),
        ("相談者", ("company", "company_name", "contact_name", "email", "phone", "prefecture")),
        ("相談の内容", ("title", "text", "summary")),
        ("分類", ("category", "target_field", "stage")),
        ("情報共有の同意", ("consent_outside_region",)),
    )
    WIDE = frozenset({"title", "text", "summary", "company"})

    def __init__(
        self, *args: Any, organization_choices: list[tuple[int, str]], region_ids: list[int], **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.fields["organization_id"].choices = organization_choices
        if len(organization_choices) == 1 and not self.is_bound:
            self.initial.setdefault("organization_id", organization_choices[0][0])
        self.fields["prefecture"].choices = prefecture_choices()
        self.fields["category"].choices = category_choices()
        self.fields["target_field"].choices = target_field_choices(region_ids)
        self.initial.setdefault("channel", Channel.WINDOW)

    def fieldsets(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names]) for legend, names in self.FIELDSETS]

    def service_data(self, company_id: int | None) -> dict[str, Any]:
        keys = (
            "channel",
            "received_at",
            "company_name",
            "contact_name",
            "email",
            "phone",
            "prefecture",
            "title",
            "text",
            "summary",
            "category",
            "target_field",
            "stage",
        )
        data: dict[str, Any] = {key: self.data.get(key, "") for key in keys}
        data["consent_outside_region"] = bool(self.cleaned_data.get("consent_outside_region"))
        data["company_id"] = company_id
        return data


# ---------------------------------------------------------------------------------------------------------------
# the inbox and the other lists


class InboxFilterForm(forms.Form):
    box = forms.ChoiceField(
        required=False,
        choices=[("mine", "自分の担当"), ("org", "所属機関"), ("all", "すべて")],
        widget=forms.HiddenInput,
    )
    q = forms.CharField(
        label="キーワード",
        required=False,
        max_length=100,
        help_text="受付番号・件名",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    status = _choice("状態", status_filter_choices())
    category = _choice("相談区分")
    sla_bucket = _choice("期限の状況", [("", "すべて"), *SlaBucket.choices])
    step = _choice("段階")
    organization = _choice("機関")
    fiscal_year = _choice("年度")

    def __init__(
        self, *args: Any, region_ids: list[int] | None, organizations: list[tuple[int, str]], **kw: Any
    ):
        super().__init__(*args, **kw)
        self.fields["category"].choices = category_id_choices()
        self.fields["step"].choices = step_choices(region_ids)
        self.fields["fiscal_year"].choices = fiscal_year_choices()
        if organizations:
            self.fields["organization"].choices = [("", "すべて"), *((str(k), v) for k, v in organizations)]
        else:
            del self.fields["organization"]


class RegionChoiceForm(forms.Form):
    region = forms.TypedChoiceField(label="地域", coerce=int, choices=(), empty_value=None, required=False)

    def __init__(self, *args: Any, regions: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = regions


class RoutingTestForm(forms.Form):
    """The "what would this route to?" tester: facts typed by a person."""

    text = _area("相談内容（件名を含めて）", "キーワードの条件はこの文章で判定します。", rows=4)
    category = _choice("相談区分")
    target_field = _choice("支援対象分野")
    size_class = _choice("企業規模", [("", "（指定なし）"), *SizeClass.choices])
    jsic_code = _text("産業分類コード", "例: 2511（先頭一致で判定）", inputmode="numeric")
    channel = _choice("受付経路", [("", "（指定なし）"), *Channel.choices])
    stage = _choice("事業段階", stage_choices("（指定なし）"))

    def __init__(self, *args: Any, region_id: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices("（指定なし）")
        self.fields["target_field"].choices = target_field_choices([region_id], "（指定なし）")


# ---------------------------------------------------------------------------------------------------------------
# actions on one case (each a small POST form on the case page)


class ClassifyForm(forms.Form):
    category = _choice("相談区分")
    target_field = _choice("支援対象分野")
    stage = _choice("事業段階", stage_choices())

    def __init__(self, *args: Any, case: Case, **kwargs: Any):
        kwargs.setdefault("auto_id", "classify_%s")
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices("選んでください")
        self.fields["target_field"].choices = target_field_choices([case.region_id])
        if not self.is_bound:
            chosen = case.category or case.suggested_category
            self.initial.update(
                category=chosen.code if chosen else "",
                target_field=case.target_field.code if case.target_field else "",
                stage=case.stage,
            )


class RouteForm(forms.Form):
    mode = forms.ChoiceField(
        label="振分けの方法",
        required=False,
        choices=[("rules", "振分けルールで決める"), ("manual", "主担当機関を選ぶ")],
        widget=forms.RadioSelect,
        initial="rules",
    )
    lead_organization = forms.TypedChoiceField(
        label="主担当機関", coerce=int, choices=(), empty_value=None, required=False
    )
    assignee = forms.TypedChoiceField(
        label="担当者（任意）", coerce=int, choices=(), empty_value=None, required=False
    )
    note = _text("メモ（任意）")

    def __init__(self, *args: Any, organizations: list[tuple[int, str]], assignees: Any, **kwargs: Any):
        kwargs.setdefault("auto_id", "route_%s")
        super().__init__(*args, **kwargs)
        self.fields["lead_organization"].choices = [("", "選んでください"), *organizations]
        self.fields["assignee"].choices = [("", "（指定しない）"), *assignees]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("mode") == "manual" and not data.get("lead_organization"):
            self.add_error(
                "lead_organization",
                "主担当機関を選んでください（ルールで決める場合は「振分けルールで決める」を選択）。",
            )
        return data


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(
        label="担当者", coerce=int, choices=(), empty_value=None, required=False
    )

    def __init__(self, *args: Any, assignees: list[tuple[int, str]], **kwargs: Any):
        kwargs.setdefault("auto_id", "assign_%s")
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "（なし）"), *assignees]


class TransitionForm(forms.Form):
    """The reason of a status change (the status itself comes from the button pressed: ``to_status``)."""

    reason = _area("理由・メモ", rows=2)

    def __init__(self, *args: Any, prefix_id: str = "status", **kwargs: Any):
        kwargs.setdefault("auto_id", f"{prefix_id}_%s")
        super().__init__(*args, **kwargs)


class ReasonForm(forms.Form):
    """Escalate / hand back: a reason is required (the service says so in Japanese)."""

    reason = _area("理由", rows=2, required=True)

    def __init__(self, *args: Any, prefix_id: str, **kwargs: Any):
        kwargs.setdefault("auto_id", f"{prefix_id}_%s")
        super().__init__(*args, **kwargs)


class HandoffRequestForm(forms.Form):
    to_organization = forms.TypedChoiceField(label="紹介先", coerce=int, choices=(), empty_value=None)
    consent_scope = forms.ChoiceField(
        label="共有の範囲", choices=ConsentScope.choices, required=False, widget=forms.RadioSelect
    )
    reason = _area("理由・依頼内容", rows=3, required=True)

    def __init__(self, *args: Any, groups: list[tuple[str, list[tuple[int, str]]]], **kwargs: Any):
        kwargs.setdefault("auto_id", "handoff_%s")
        super().__init__(*args, **kwargs)
        self.fields["to_organization"].choices = [
            ("", "選んでください"),
            *[(g, rows) for g, rows in groups if rows],
        ]
        self.fields["to_organization"].required = False
        self.initial.setdefault("consent_scope", ConsentScope.SUMMARY)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("to_organization") and "to_organization" not in self.errors:
            self.add_error("to_organization", "紹介先の機関を選んでください。")
        return data

    def consent_options(self) -> list[dict[str, Any]]:
        value = self["consent_scope"].value() or ConsentScope.SUMMARY
        return [
            {"value": v, "label": label, "help": CONSENT_HELP[ConsentScope(v)], "checked": v == value}
            for v, label in ConsentScope.choices
        ]


class HandoffRespondForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("accept", "受諾"), ("decline", "辞退"), ("reply", "回答")], widget=forms.HiddenInput
    )
    text = _area("理由・回答内容", "辞退するときは理由を、回答するときは回答内容を入力してください。", rows=3)

    def __init__(self, *args: Any, handoff_id: int, **kwargs: Any):
        kwargs.setdefault("auto_id", f"respond{handoff_id}_%s")
        super().__init__(*args, **kwargs)


class HandoffCloseForm(forms.Form):
    note = _text("メモ（任意）")

    def __init__(self, *args: Any, handoff_id: int, **kwargs: Any):
        kwargs.setdefault("auto_id", f"close{handoff_id}_%s")
        super().__init__(*args, **kwargs)


class NoteForm(forms.Form):
    text = _area("メモ", "対応の記録を時系列に残します（後から変更できません。訂正は新しいメモで）。", rows=3)

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("auto_id", "note_%s")
        super().__init__(*args, **kwargs)


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label="ファイル",
        required=False,
        widget=forms.ClearableFileInput,
        error_messages={"invalid": "ファイルを選んでください。"},
    )

    def __init__(self, *args: Any, max_bytes: int, **kwargs: Any):
        kwargs.setdefault("auto_id", "attach_%s")
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = f"{max_bytes // (1024 * 1024)} MB まで。閲覧は記録されます。"
