"""Template helpers for the web UI: accessible form widgets, badges for kinds and size classes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.forms import BoundField
from django.utils import timezone
from django.utils.safestring import SafeString

register = template.Library()

# One character (or word) per organization kind, as people write 産学官金 in the plans.
KIND_SHORT = {
    "industry": "産",
    "academia": "学",
    "government": "官",
    "finance": "金",
    "support": "支援",
}


@register.simple_tag
def widget(field: BoundField, **attrs: str) -> SafeString:
    """Render a field's widget with the ARIA attributes that tie it to its help text and errors.

    Extra attributes are given with underscores for hyphens: ``{% widget field hx_get=url %}``.
    """
    extra: dict[str, str] = {key.replace("_", "-"): value for key, value in attrs.items()}
    described_by: list[str] = []
    if field.errors:
        described_by.append(f"{field.auto_id}-error")
        extra["aria-invalid"] = "true"
    if field.help_text:
        described_by.append(f"{field.auto_id}-help")
    if described_by:
        extra["aria-describedby"] = " ".join(described_by)
    return field.as_widget(attrs=extra)


@register.filter
def is_required(field: BoundField) -> bool:
    """Required for the user (marked 必須), even when the service rather than the form enforces it."""
    return bool(field.field.required or field.field.widget.attrs.get("required"))


@register.filter
def is_checkbox(field: BoundField) -> bool:
    return getattr(field.field.widget, "input_type", "") == "checkbox"


@register.filter
def kind_short(kind: str) -> str:
    """'academia' → '学'."""
    return KIND_SHORT.get(kind, kind)


@register.filter
def local(value: dt.datetime | None) -> dt.datetime | None:
    """An aware datetime in the site's time zone (before |wareki_date, which takes the date part)."""
    if value is None:
        return None
    return timezone.localtime(value) if timezone.is_aware(value) else value


@register.filter
def person_name(user: Any) -> str:
    """A user's name in Japanese order (姓 名), or the username when no name is recorded."""
    if user is None:
        return ""
    full = f"{user.last_name} {user.first_name}".strip()
    return full or user.get_username()
