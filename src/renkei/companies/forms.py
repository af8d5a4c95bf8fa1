"""Forms for companies. They only carry what the user typed: every rule lives in ``validation.py`` and the
services, whose ``ValidationFailed`` errors the views map back onto these fields (the typed values stay)."""

from __future__ import annotations

from typing import Any

from django import forms

from .choices import SizeClass
from .models import Company
from .validation import FIELD_LABELS

# Keys of the raw data the service accepts, in the order the form shows them.
COMPANY_FIELDS: tuple[str, ...] = (
    "name",
    "kana",
    "corporate_number",
    "jsic_code",
    "founded_on",
    "capital",
    "employees",
    "postal_code",
    "municipality_code",
    "address",
    "phone",
    "url",
    "technologies",
    "products",
    "certifications",
    "consent_share_region",
    "consent_share_outside",
)

FIELDSETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("基本情報", ("owner_organization", "name", "kana", "corporate_number", "jsic_code", "founded_on")),
    ("規模", ("capital", "employees")),
    ("所在地・連絡先", ("postal_code", "municipality_code", "address", "phone", "url")),
    ("技術・製品", ("technologies", "products", "certifications")),
    ("情報共有の同意", ("consent_share_region", "consent_share_outside")),
)

WIDE_FIELDS = frozenset({"name", "address", "url", "technologies", "products", "certifications"})


def _text(label: str, help_text: str = "", **attrs: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.TextInput(attrs={"autocomplete": "off", **attrs}),
    )


def _area(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label, required=False, help_text=help_text, widget=forms.Textarea(attrs={"rows": 3})
    )


class CompanyForm(forms.Form):
    """Create or edit a company. With ``owner_choices`` the form asks for the registering organization."""

    owner_organization = forms.TypedChoiceField(label="登録機関", coerce=int, choices=())
    name = _text(FIELD_LABELS["name"], "例: 株式会社〇〇製作所", required="required")
    kana = _text(FIELD_LABELS["kana"], "ひらがな・カタカナ。例: まるまるせいさくしょ")
    corporate_number = _text(
        FIELD_LABELS["corporate_number"],
        "13桁の数字（全角・ハイフン可）。国税庁の法人番号公表サイトで確認できます。",
        inputmode="numeric",
    )
    jsic_code = _text(
        "産業分類（細分類コード）",
        "日本標準産業分類（第14回改定）の細分類4桁。業種名（例: 金属加工）を入力すると候補が表示されます。",
        list="jsic-options",
    )
    founded_on = _text(FIELD_LABELS["founded_on"], "例: 2001-04-01 または 平成13年4月1日")
    capital = _text("資本金（円）", "例: 10000000（カンマ可）", inputmode="numeric")
    employees = _text("従業員数（人）", "常時使用する従業員の数", inputmode="numeric")
    postal_code = _text(FIELD_LABELS["postal_code"], "例: 260-8667", inputmode="numeric")
    municipality_code = _text(
        "市区町村（団体コード）",
        "全国地方公共団体コード（6桁または5桁）。市区町村名を入力すると候補が表示されます。",
        list="municipality-options",
    )
    address = _text("住所（町名・番地・建物）")
    phone = _text(FIELD_LABELS["phone"], "例: 043-223-2711", inputmode="tel")
    url = _text(FIELD_LABELS["url"], "例: https://www.example.co.jp/", inputmode="url")
    technologies = _area(
        FIELD_LABELS["technologies"], "得意な加工・技術、強み（検索とマッチングに使われます）"
    )
    products = _area(FIELD_LABELS["products"])
    certifications = _area(FIELD_LABELS["certifications"], "ISO 9001 などの認証・認定")
    consent_share_region = forms.BooleanField(
        label="地域内の支援機関と情報を共有することに同意を得ている", required=False
    )
    consent_share_outside = forms.BooleanField(
        label="地域外の連携機関と情報を共有することに同意を得ている", required=False
    )

    def __init__(self, *args: Any, owner_choices: list[tuple[int, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if owner_choices is None:
            del self.fields["owner_organization"]
        else:
            field = self.fields["owner_organization"]
            field.choices = owner_choices
            if len(owner_choices) == 1 and not self.is_bound:
                self.initial.setdefault("owner_organization", owner_choices[0][0])

    def fieldsets(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (legend, [self[name] for name in names if name in self.fields]) for legend, names in FIELDSETS
        ]

    def service_data(self) -> dict[str, Any]:
        """The raw values for ``company_create`` / ``company_update`` (validated there, not here)."""
        return {key: self.cleaned_data.get(key) for key in COMPANY_FIELDS}

    @staticmethod
    def initial_for(company: Company) -> dict[str, Any]:
        """Form values showing a stored company the way a person would type them."""
        return {
            "name": company.name,
            "kana": company.kana,
            "corporate_number": company.corporate_number or "",
            "jsic_code": company.jsic_id or "",
            "founded_on": company.founded_on.isoformat() if company.founded_on else "",
            "capital": "" if company.capital is None else str(company.capital),
            "employees": "" if company.employees is None else str(company.employees),
            "postal_code": company.postal_code,
            "municipality_code": company.municipality_id or "",
            "address": company.address,
            "phone": company.phone,
            "url": company.url,
            "technologies": company.technologies,
            "products": company.products,
            "certifications": company.certifications,
            "consent_share_region": company.consent_share_region,
            "consent_share_outside": company.consent_share_outside,
        }


class CompanySearchForm(forms.Form):
    q = forms.CharField(
        label="キーワード",
        required=False,
        max_length=200,
        help_text="企業名・よみがな・法人番号・技術・製品で検索",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    size_class = forms.ChoiceField(
        label="企業規模", required=False, choices=[("", "すべて"), *SizeClass.choices]
    )


class CompanyImportForm(forms.Form):
    file = forms.FileField(
        label="取り込むファイル（CSV または Excel）",
        help_text="1行目に見出し（企業名、法人番号 など）がある CSV（UTF-8 または Shift_JIS）か xlsx ファイル。",
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )
    owner_organization = forms.TypedChoiceField(label="登録機関", coerce=int, choices=())

    def __init__(self, *args: Any, owner_choices: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["owner_organization"].choices = owner_choices


class CompanyLoginForm(forms.Form):
    """Issue a company login (企業ログイン): the address only; ``accounts.create_company_login`` checks it."""

    email = _text(
        "メールアドレス",
        "企業の担当者のメールアドレス。ログインのユーザー名になります（全角で入力しても構いません）。",
        required="required",
        inputmode="email",
    )

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("auto_id", "login_%s")
        super().__init__(*args, **kwargs)
