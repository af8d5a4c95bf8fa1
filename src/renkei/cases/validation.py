"""Validation of a consultation, shared by the staff form, the public form and the API.

Returns cleaned values and every problem at once (Japanese, per field). The consultation text is kept exactly as
typed (only trimmed); names and codes are NFKC-normalized.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils import timezone

from renkei.companies.validation import parse_bool, parse_date
from renkei.core.errors import FieldError, ValidationFailed
from renkei.core.models import Prefecture
from renkei.core.text import _HYPHENS, _INVISIBLE, nfkc, squash_spaces

from .choices import BusinessStage, Channel

MAX_TEXT = 20_000
MAX_TITLE = 200
_PHONE = re.compile(r"^[0-9+\-() ]{6,30}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")
_HYPHEN_TABLE = str.maketrans(dict.fromkeys(_HYPHENS, "-"))


def _text(raw: dict, key: str) -> str:
    """A string field as typed, trimmed, without control characters (NUL never reaches the database)."""
    value = raw.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    return _CONTROL.sub("", value.replace("\r\n", "\n")).strip()


def clean_consultation_text(value: str, errors: list[FieldError], *, key: str = "text") -> str:
    value = _CONTROL.sub("", value.replace("\r\n", "\n")).strip()
    if not _INVISIBLE_RE.sub("", value).strip():
        value = ""
        errors.append(FieldError(key, "相談内容を入力してください。"))
    elif len(value) > MAX_TEXT:
        errors.append(
            FieldError(
                key, f"相談内容は{MAX_TEXT:,}文字以内で入力してください（{len(value):,}文字あります）。"
            )
        )
    return value


def derive_title(text: str) -> str:
    first = squash_spaces(nfkc(text.split("\n", 1)[0]))
    return first[:40] + ("…" if len(first) > 40 else "")


def parse_prefecture(value: str) -> Prefecture | None:
    """A prefecture by 2-digit code ('12', '１２', '1'), 6-digit 団体コード, or name ('千葉県', '千葉')."""
    text = nfkc(value).replace(" ", "")
    if not text:
        return None
    if text.isdigit():
        if len(text) <= 2:
            return Prefecture.objects.filter(code=text.zfill(2)).first()
        return Prefecture.objects.filter(lgcode=text).first()
    found = Prefecture.objects.filter(name=text).first()
    for suffix in "県府都道":  # 千葉 → 千葉県, 京都 → 京都府 (a short name may itself end in 都)
        if found is not None:
            break
        found = Prefecture.objects.filter(name=text + suffix).first()
    return found


def clean_requester(raw: dict, errors: list[FieldError], *, required: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    company_name = squash_spaces(nfkc(_text(raw, "company_name")))
    contact_name = squash_spaces(nfkc(_text(raw, "contact_name")))
    email = nfkc(_text(raw, "email")).replace(" ", "")
    phone = nfkc(_text(raw, "phone")).translate(_HYPHEN_TABLE)
    prefecture_raw = _text(raw, "prefecture")
    if required:
        for key, value, label in (
            ("company_name", company_name, "企業名"),
            ("contact_name", contact_name, "お名前"),
            ("email", email, "メールアドレス"),
            ("phone", phone, "電話番号"),
            ("prefecture", prefecture_raw, "所在都道府県"),
        ):
            if not value:
                errors.append(FieldError(key, f"{label}を入力してください。"))
    if len(company_name) > 200:
        errors.append(FieldError("company_name", "企業名は200文字以内で入力してください。"))
    if len(contact_name) > 100:
        errors.append(FieldError("contact_name", "お名前は100文字以内で入力してください。"))
    if email:
        try:
            if len(email) > 254:
                raise DjangoValidationError("too long")
            validate_email(email)
        except DjangoValidationError:
            errors.append(
                FieldError("email", "メールアドレスの形式が正しくありません（例: info@example.co.jp）。")
            )
    if phone and (not _PHONE.match(phone) or sum(ch.isdigit() for ch in phone) < 6):
        errors.append(FieldError("phone", "電話番号は数字とハイフンで入力してください（例: 043-123-4567）。"))
    prefecture = None
    if prefecture_raw:
        prefecture = parse_prefecture(prefecture_raw)
        if prefecture is None:
            errors.append(
                FieldError(
                    "prefecture", f"都道府県「{prefecture_raw[:20]}」が見つかりません（例: 千葉県、12）。"
                )
            )
    out.update(
        requester_company_name=company_name,
        requester_name=contact_name,
        requester_email=email,
        requester_phone=phone,
        requester_prefecture=prefecture,
    )
    return out


def clean_choice(raw: dict, key: str, choices: type, errors: list[FieldError], label: str) -> str:
    value = nfkc(_text(raw, key))
    if not value:
        return ""
    by_label = {str(lbl): v for v, lbl in choices.choices}
    if value in choices.values:
        return value
    if value in by_label:
        return by_label[value]
    names = "、".join(str(lbl) for _, lbl in choices.choices)
    errors.append(FieldError(key, f"{label}「{value[:20]}」はありません（{names}）。"))
    return ""


def clean_received_at(raw: dict, errors: list[FieldError]) -> dt.datetime:
    value = raw.get("received_at")
    now = timezone.now()
    if value in (None, ""):
        return now
    if isinstance(value, dt.datetime):
        moment = value if timezone.is_aware(value) else timezone.make_aware(value)
    else:
        try:
            day = parse_date(value)
        except (ValueError, TypeError):
            errors.append(
                FieldError("received_at", "受付日は 2024-04-01 や 令和6年4月1日 の形で入力してください。")
            )
            return now
        moment = timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))
        if day == timezone.localdate():
            moment = now
    if moment > now + dt.timedelta(minutes=5):
        errors.append(FieldError("received_at", "受付日に未来の日付は指定できません。"))
        return now
    if moment.year < 2000:
        errors.append(FieldError("received_at", "受付日は2000年以降の日付を指定してください。"))
        return now
    return moment


def _consent(raw: dict, errors: list[FieldError]) -> bool:
    try:
        return parse_bool(raw.get("consent_outside_region"))
    except ValueError:
        errors.append(
            FieldError(
                "consent_outside_region",
                "同意の有無は「はい」か「いいえ」（true / false）で指定してください。",
            )
        )
        return False


def clean_intake(raw: dict, *, public: bool) -> dict[str, Any]:
    """Clean a consultation. Raises ValidationFailed listing every field in error."""
    errors: list[FieldError] = []
    text = clean_consultation_text(_text(raw, "text"), errors)
    title = squash_spaces(nfkc(_text(raw, "title")))
    if len(title) > MAX_TITLE:
        errors.append(FieldError("title", f"件名は{MAX_TITLE}文字以内で入力してください。"))
    summary = _text(raw, "summary")
    if len(summary) > 2000:
        errors.append(FieldError("summary", "概要は2,000文字以内で入力してください。"))
    values: dict[str, Any] = {
        "detail": text,
        "title": title or (derive_title(text) if text else ""),
        "summary": summary,
        "consent_outside_region": _consent(raw, errors),
        "stage": clean_choice(raw, "stage", BusinessStage, errors, "事業段階"),
    }
    values.update(clean_requester(raw, errors, required=public))
    if public:
        values["channel"] = Channel.WEB
    else:
        values["channel"] = clean_choice(raw, "channel", Channel, errors, "受付経路")
        if not values["channel"]:
            if not any(e.field == "channel" for e in errors):
                errors.append(FieldError("channel", "受付経路を選んでください。"))
        values["received_at"] = clean_received_at(raw, errors)
    if errors:
        raise ValidationFailed.from_errors(errors)
    return values
