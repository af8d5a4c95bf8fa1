"""Forms for the network app: the public directory filter and staff memberships.

The forms carry input only; who may register whom where is decided by ``services`` / ``policies``, whose
errors the views map back onto these fields.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from .choices import OrganizationKind, StaffRole


class OrganizationFilterForm(forms.Form):
    q = forms.CharField(
        label="キーワード",
        required=False,
        max_length=100,
        help_text="機関名・略称・よみがな",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    region = forms.ChoiceField(label="地域", required=False)
    kind = forms.ChoiceField(
        label="種別", required=False, choices=[("", "すべて"), *OrganizationKind.choices]
    )
    capability = forms.ChoiceField(label="対応分野", required=False)

    def __init__(
        self,
        *args: Any,
        region_choices: list[tuple[str, str]],
        capability_choices: list[str],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", "すべての地域"), *region_choices]
        self.fields["capability"].choices = [("", "すべて"), *((c, c) for c in capability_choices)]


class OrganizationSelect(forms.IntegerField):
    """An organization picked from a list, passed on as an id.

    Any id is accepted here on purpose: whether the actor may use that organization is the service's
    decision, and its Japanese message is the one the user should see.
    """

    widget = forms.Select

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label", "機関")
        super().__init__(*args, **kwargs)
        self.error_messages["invalid"] = "機関を一覧から選んでください。"

    def set_choices(self, choices: list[tuple[int, str]]) -> None:
        self.widget.choices = [("", "選択してください"), *choices]


class MembershipCreateForm(forms.Form):
    username = forms.CharField(
        label="ユーザー名",
        max_length=150,
        help_text="登録済みの利用者のユーザー名（ログインに使う名前）",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    organization = OrganizationSelect(label="所属機関")
    role = forms.ChoiceField(label="権限", choices=StaffRole.choices, initial=StaffRole.MEMBER)
    title = forms.CharField(
        label="役職・職名", required=False, max_length=100, help_text="例: 研究開発コーディネーター"
    )
    started_on = forms.DateField(
        label="着任日", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, organization_choices: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["organization"].set_choices(organization_choices)

    def clean_username(self) -> int:
        """The user's id; an unknown name is an input error, not a permission question."""
        username = self.cleaned_data["username"].strip()
        user_id = get_user_model().objects.filter(username=username).values_list("pk", flat=True).first()
        if user_id is None:
            raise forms.ValidationError(
                f"利用者「{username}」は登録されていません。ユーザー名を確認してください。"
            )
        return user_id


class MembershipUpdateForm(forms.Form):
    organization = OrganizationSelect(label="所属機関")
    role = forms.ChoiceField(label="権限", choices=StaffRole.choices)
    title = forms.CharField(
        label="役職・職名", required=False, max_length=100, help_text="例: 研究開発コーディネーター"
    )
    is_active = forms.BooleanField(
        label="有効（オフにすると離任として記録され、ログインしても職員の権限を持ちません）", required=False
    )

    def __init__(self, *args: Any, organization_choices: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["organization"].set_choices(organization_choices)
