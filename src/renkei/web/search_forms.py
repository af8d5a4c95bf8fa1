"""Forms of the search and catalog pages: GET forms (a search is a shareable URL) that carry input only.

What a query may be, what a company profile means and what a program requires are decided by
``matching.services.match`` and ``catalog.eligibility``; their Japanese errors are put back on these fields.
"""

from __future__ import annotations

from typing import Any

from django import forms

from renkei.catalog.choices import EquipmentCategory, ProgramKind
from renkei.catalog.eligibility import SIZE_CLASSES, STAGES
from renkei.catalog.eligibility_rules import SIZE_LABELS
from renkei.core.models import Prefecture
from renkei.matching.documents import KIND_LABELS, PUBLIC_KINDS

PAGE_SIZE = 20  # results on the search page; 「もっと見る」 shows up to MAX_RESULTS
MAX_RESULTS = 50
NATIONAL = "national"  # the region filter's value for 全国 (national data only)


def _text(label: str, help_text: str = "", **attrs: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.TextInput(attrs={"autocomplete": "off", **attrs}),
    )


class SearchForm(forms.Form):
    q = forms.CharField(
        label="困りごと・やりたいことを入力",
        required=False,
        strip=False,  # the service says what an empty or over-long query is
        help_text="例: 樹脂成形品の強度を測りたい、新商品の販路を広げたい、設備投資の補助金を探している",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "enterkeyhint": "search"}),
    )
    kind = forms.MultipleChoiceField(
        label="探すもの",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "種類「%(value)s」は選べません。"},
    )
    region = forms.ChoiceField(
        label="地域", required=False, error_messages={"invalid_choice": "地域「%(value)s」はありません。"}
    )
    networks = forms.BooleanField(
        label="連携ネットワーク（地域外の連携機関）の資源も含める",
        required=False,
        help_text="地域を選んだときに、その地域の機関が参加する連携ネットワークの構成機関の資源も表示します。",
    )
    n = forms.IntegerField(required=False, min_value=1, max_value=MAX_RESULTS, widget=forms.HiddenInput)

    def __init__(self, *args: Any, staff: bool, regions: list[tuple[str, str]], **kwargs: Any):
        kwargs.setdefault("auto_id", "search_%s")
        super().__init__(*args, **kwargs)
        kinds = [*PUBLIC_KINDS, "case"] if staff else list(PUBLIC_KINDS)
        self.fields["kind"].choices = [(k, KIND_LABELS[k]) for k in kinds]
        self.fields["region"].choices = [
            ("", "すべての地域"),
            *regions,
            (NATIONAL, "全国（国の施策・全国のデータのみ）"),
        ]
        self.fields["n"].error_messages["max_value"] = f"表示できるのは {MAX_RESULTS} 件までです。"

    @property
    def limit(self) -> int:
        value = self.cleaned_data.get("n") if hasattr(self, "cleaned_data") else None
        return value or PAGE_SIZE


class EligibilityForm(forms.Form):
    """What a company says of itself to see whether a program is for it (``CompanyProfile.from_input`` keys),
    or — for staff — a company they may see."""

    size_class = forms.ChoiceField(
        label="企業規模",
        required=False,
        choices=[("", "選んでください"), *((c, SIZE_LABELS[c]) for c in SIZE_CLASSES)],
        help_text="わからなければ空欄のまま（業種・資本金・従業員数から判定します）",
        error_messages={"invalid_choice": "企業規模「%(value)s」は選べません。"},
    )
    employees = _text("従業員数", "例: 45、45人（全角数字も可）", inputmode="numeric")
    capital = _text("資本金", "例: 3000万円、1億円、30000000")
    jsic_code = _text("業種（日本標準産業分類）", "コードか分類名（例: 2422、製造業）", list="jsic-options")
    prefecture = forms.ChoiceField(
        label="所在地（都道府県）",
        required=False,
        error_messages={"invalid_choice": "都道府県「%(value)s」はありません。"},
    )
    municipality = _text("所在地（市区町村）", "例: 市川市、122033", list="municipality-options")
    founded = _text("設立年", "例: 2019、令和元年、2019年4月")
    stage = forms.ChoiceField(
        label="事業段階",
        required=False,
        choices=[("", "選んでください"), *((s, s) for s in STAGES)],
        error_messages={"invalid_choice": "事業段階「%(value)s」は選べません。"},
    )
    company = _text(
        "登録済みの企業から選ぶ", "企業名を入力して候補から選んでください", list="company-options"
    )
    eligible_only = forms.BooleanField(label="対象外の支援施策を除く", required=False)

    PROFILE_FIELDS = (
        "size_class",
        "employees",
        "capital",
        "jsic_code",
        "prefecture",
        "municipality",
        "founded",
    )

    def __init__(self, *args: Any, staff: bool, with_filter: bool = True, **kwargs: Any):
        kwargs.setdefault("auto_id", "elig_%s")
        super().__init__(*args, **kwargs)
        self.fields["prefecture"].choices = [
            ("", "選んでください"),
            *Prefecture.objects.order_by("code").values_list("code", "name"),
        ]
        if not staff:
            del self.fields["company"]
        if not with_filter:
            del self.fields["eligible_only"]

    def profile_input(self) -> dict[str, str]:
        """The typed profile (``CompanyProfile.from_input`` keys), raw: the parser reads 全角 digits and units."""
        keys = (*self.PROFILE_FIELDS, "stage")
        return {k: (self.data.get(k) or "").strip() for k in keys if (self.data.get(k) or "").strip()}

    @property
    def company_typed(self) -> str:
        return (self.data.get("company") or "").strip() if "company" in self.fields else ""

    @property
    def is_used(self) -> bool:
        """Whether the person asked for a check at all (any profile field or a company)."""
        return bool(self.profile_input() or self.company_typed)


class CatalogFilterForm(forms.Form):
    """The filters of a catalog list page (which fields show depends on the kind)."""

    q = forms.CharField(
        label="キーワード",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        error_messages={"max_length": "キーワードは %(limit_value)d 文字以内で入力してください。"},
    )
    organization = forms.TypedChoiceField(
        label="機関",
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": "機関を一覧から選んでください。"},
    )
    category = forms.ChoiceField(
        label="分類",
        required=False,
        choices=[("", "すべて"), *EquipmentCategory.choices],
        error_messages={"invalid_choice": "分類「%(value)s」はありません。"},
    )
    program_kind = forms.ChoiceField(
        label="種類",
        required=False,
        choices=[("", "すべて"), *ProgramKind.choices],
        error_messages={"invalid_choice": "種類「%(value)s」はありません。"},
    )
    fiscal_year = forms.TypedChoiceField(
        label="年度",
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": "年度「%(value)s」は選べません。"},
    )

    def __init__(
        self,
        *args: Any,
        kind_fields: tuple[str, ...],
        organizations: list[tuple[int, str]],
        fiscal_years: list[tuple[int, str]],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [("", "すべての機関"), *organizations]
        self.fields["fiscal_year"].choices = [("", "すべての年度"), *fiscal_years]
        for name in ("category", "program_kind", "fiscal_year"):
            if name not in kind_fields:
                del self.fields[name]
