"""Meeting pages (定例会議・連携支援会議) and the referral letter download (staff only).

Everything goes through ``renkei.cases.meetings`` / ``renkei.cases.letters``: a meeting of a region the user has no
body in, and a letter the user may not print, are 404. The forms only carry what was typed; the services check it
and their Japanese errors are put back on the form (the typed text stays).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_POST

from renkei.cases import letters, meetings
from renkei.cases.choices import MeetingKind
from renkei.cases.models import Meeting
from renkei.core.errors import ApplicationError, NotFound, PermissionDenied
from renkei.core.wareki import fiscal_year, fiscal_year_label
from renkei.network.models import Organization
from renkei.network.selectors import staff_context

from .common import apply_errors, organization_choices, paginate, staff_required

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _text(label: str, help_text: str = "", **attrs: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.TextInput(attrs={"autocomplete": "off", **attrs}),
    )


def _area(label: str, rows: int = 4, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        strip=False,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class MeetingForm(forms.Form):
    organizer = forms.TypedChoiceField(label="主催機関", coerce=int, choices=())
    kind = forms.ChoiceField(label="会議の種別", choices=MeetingKind.choices)
    title = _text("会議名", "例: 令和7年度 第3回 産学官連携推進定例会議", required="required")
    held_on = _text("開催日", "例: 2025-06-10 または 令和7年6月10日", required="required")
    place = _text("場所", "例: 県庁本庁舎 5階 会議室")

    def __init__(self, *args: Any, organizer_choices: list[tuple[int, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if organizer_choices is None:
            del self.fields["organizer"]
            del self.fields["kind"]
        else:
            self.fields["organizer"].choices = organizer_choices


class MinutesForm(forms.Form):
    minutes = _area("議事概要", rows=6)
    is_held = forms.BooleanField(label="開催済み（議題の追加を締め切ります）", required=False)


class DiscussionForm(forms.Form):
    discussion = _area("審議内容", rows=3)


class AgendaItemForm(forms.Form):
    title = _text(
        "議題（報告事項など）",
        "相談案件以外の議題。例: 令和7年度の連携支援計画の進捗報告",
        required="required",
    )


class ActionForm(forms.Form):
    description = _text("対応事項", "例: 産技研で試験方法を検討し、次回会議で報告", required="required")
    owner_organization = forms.TypedChoiceField(
        label="担当機関", coerce=int, empty_value=None, required=False, choices=()
    )
    case = forms.TypedChoiceField(
        label="関係する案件", coerce=int, empty_value=None, required=False, choices=()
    )
    due_on = _text("期限", "例: 2025-07-31 または 令和7年7月31日")

    def __init__(self, *args: Any, view: meetings.MeetingView, **kwargs: Any):
        super().__init__(*args, **kwargs)
        owners = Organization.objects.filter(region_id=view.meeting.region_id)
        self.fields["owner_organization"].choices = [
            ("", "（選んでください）"),
            *organization_choices(owners),
        ]
        self.fields["owner_organization"].widget.attrs["required"] = "required"
        self.fields["case"].choices = [("", "（なし）"), *view.case_choices]


def case_url(case_id: int) -> str:
    """The case page (its route is the case ledger's; the plain path until it is there)."""
    try:
        return reverse("web:case_detail", args=[case_id])
    except NoReverseMatch:
        return f"/cases/{case_id}/"


def _view_or_404(request: HttpRequest, meeting_id: int) -> meetings.MeetingView:
    try:
        return meetings.meeting_detail(user=request.user, meeting_id=meeting_id)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _meeting_or_404(request: HttpRequest, meeting_id: int) -> Meeting:
    try:
        return meetings.meeting_get(user=request.user, meeting_id=meeting_id)
    except NotFound as exc:
        raise Http404(exc.message) from None


# ---------------------------------------------------------------------------------------------------------------
# list and create


@require_GET
@staff_required
def meeting_list_view(request: HttpRequest) -> HttpResponse:
    years = meetings.meeting_fiscal_years(user=request.user)
    raw = request.GET.get("fy", "")
    chosen = int(raw) if raw.isdigit() and int(raw) in years else None
    qs = meetings.meeting_list(user=request.user, fiscal_year=chosen)
    page = paginate(request, qs)
    groups: list[tuple[str, list]] = []
    for m in page.object_list:
        label = fiscal_year_label(fiscal_year(m.held_on))
        if not groups or groups[-1][0] != label:
            groups.append((label, []))
        groups[-1][1].append(m)
    ctx = staff_context(request.user)
    return render(
        request,
        "web/meetings/list.html",
        {
            "page": page,
            "groups": groups,
            "years": [(y, fiscal_year_label(y)) for y in years],
            "chosen": chosen,
            "can_create": meetings.organizer_choices(ctx).exists(),
        },
    )


@staff_required
def meeting_create_view(request: HttpRequest) -> HttpResponse:
    choices = organization_choices(meetings.organizer_choices(staff_context(request.user)))
    if not choices:
        raise DjangoPermissionDenied("会議を登録できるのは、地域の事務局か支援機関の職員（担当者以上）です。")
    form = MeetingForm(request.POST or None, organizer_choices=choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        region_id = (
            Organization.objects.filter(pk=data["organizer"]).values_list("region_id", flat=True).first()
        )
        try:
            meeting = meetings.meeting_create(
                actor=request.user,
                region_id=region_id or 0,
                kind=data["kind"],
                title=data["title"],
                held_on=data["held_on"],
                place=data["place"],
                organizer_id=data["organizer"],
            )
        except ApplicationError as exc:
            apply_errors(form, _renamed(exc))
        else:
            messages.success(request, f"会議「{meeting.title}」を登録しました。議題を作成できます。")
            return redirect("web:meeting_detail", meeting_id=meeting.pk)
    return _form_page(request, form, meeting=None)


@staff_required
def meeting_edit_view(request: HttpRequest, meeting_id: int) -> HttpResponse:
    view = _view_or_404(request, meeting_id)
    if not view.can_manage:
        raise DjangoPermissionDenied("この会議を変更する権限がありません。")
    m = view.meeting
    initial = {"title": m.title, "held_on": m.held_on.isoformat(), "place": m.place}
    form = MeetingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            meetings.meeting_update(actor=request.user, meeting_id=m.pk, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "会議の情報を変更しました。")
            return redirect("web:meeting_detail", meeting_id=m.pk)
    return _form_page(request, form, meeting=m)


def _renamed(exc: ApplicationError) -> ApplicationError:
    """The service names the organizer ``organizer_id``; the form calls it ``organizer``."""
    for i, e in enumerate(exc.errors):
        if e.field == "organizer_id":
            exc.errors[i] = type(e)("organizer", e.message)
    return exc


def _form_page(request: HttpRequest, form: MeetingForm, *, meeting: Any) -> HttpResponse:
    return render(
        request,
        "web/meetings/form.html",
        {"form": form, "meeting": meeting},
        status=422 if form.errors else 200,
    )


# ---------------------------------------------------------------------------------------------------------------
# the meeting page and its forms


@require_GET
@staff_required
def meeting_detail_view(request: HttpRequest, meeting_id: int) -> HttpResponse:
    return _detail_page(request, _view_or_404(request, meeting_id))


def _detail_page(
    request: HttpRequest,
    view: meetings.MeetingView,
    *,
    minutes_form: MinutesForm | None = None,
    action_form: ActionForm | None = None,
    item_form: AgendaItemForm | None = None,
    failed_item: tuple[int, DiscussionForm] | None = None,
) -> HttpResponse:
    m = view.meeting
    rows = []
    for r in view.rows:
        if failed_item and failed_item[0] == r.item.pk:
            form = failed_item[1]
        else:
            form = DiscussionForm(initial={"discussion": r.discussion}, prefix=f"item{r.item.pk}")
        rows.append({"row": r, "form": form, "url": case_url(r.case_id) if r.case_id else ""})
    actions = [{"row": a, "url": case_url(a.case_id) if a.case_id else ""} for a in view.actions]
    failed = any(f is not None and f.errors for f in (minutes_form, action_form, item_form)) or bool(
        failed_item and failed_item[1].errors
    )
    return render(
        request,
        "web/meetings/detail.html",
        {
            "view": view,
            "meeting": m,
            "rows": rows,
            "actions": actions,
            "minutes_form": minutes_form or MinutesForm(initial={"minutes": m.minutes, "is_held": m.is_held}),
            "action_form": action_form or ActionForm(view=view),
            "item_form": item_form or AgendaItemForm(),
            "hidden_count": sum(1 for r in view.rows if not r.visible),
        },
        status=422 if failed else 200,
    )


def _managed_or_404(request: HttpRequest, meeting_id: int) -> meetings.MeetingView:
    view = _view_or_404(request, meeting_id)
    if not view.can_manage:
        raise DjangoPermissionDenied("この会議を変更する権限がありません。")
    return view


@require_POST
@staff_required
def meeting_agenda_build_view(request: HttpRequest, meeting_id: int) -> HttpResponse:
    _managed_or_404(request, meeting_id)
    try:
        result = meetings.agenda_build(actor=request.user, meeting_id=meeting_id)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("web:meeting_detail", meeting_id=meeting_id)
    text = f"{len(result.added)}件の案件を議題に追加しました。"
    if result.already_listed:
        text += f"（{result.already_listed}件はすでに議題にあります）"
    if result.omitted:
        text += f" 上限を超えた{result.omitted}件は追加していません。"
    messages.success(request, text)
    return redirect("web:meeting_detail", meeting_id=meeting_id)


@require_POST
@staff_required
def meeting_minutes_view(request: HttpRequest, meeting_id: int) -> HttpResponse:
    view = _managed_or_404(request, meeting_id)
    form = MinutesForm(request.POST)
    if form.is_valid():
        try:
            meetings.meeting_update(actor=request.user, meeting_id=meeting_id, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "議事概要を保存しました。")
            return redirect("web:meeting_detail", meeting_id=meeting_id)
    return _detail_page(request, view, minutes_form=form)


@require_POST
@staff_required
def meeting_item_create_view(request: HttpRequest, meeting_id: int) -> HttpResponse:
    view = _managed_or_404(request, meeting_id)
    form = AgendaItemForm(request.POST)
    if form.is_valid():
        try:
            meetings.agenda_item_create(
                actor=request.user, meeting_id=meeting_id, title=form.cleaned_data["title"]
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "議題を追加しました。")
            return redirect("web:meeting_detail", meeting_id=meeting_id)
    return _detail_page(request, view, item_form=form)


@require_POST
@staff_required
def meeting_item_update_view(request: HttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    view = _managed_or_404(request, meeting_id)
    form = DiscussionForm(request.POST, prefix=f"item{item_id}")
    if form.is_valid():
        try:
            meetings.agenda_item_update(
                actor=request.user,
                item_id=item_id,
                discussion=form.cleaned_data["discussion"],
                meeting_id=meeting_id,
            )
        except NotFound as exc:
            raise Http404(exc.message) from None
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "審議内容を記録しました。")
            return redirect(f"{reverse('web:meeting_detail', args=[meeting_id])}#item-{item_id}")
    return _detail_page(request, view, failed_item=(item_id, form))


@require_POST
@staff_required
def meeting_action_create_view(request: HttpRequest, meeting_id: int) -> HttpResponse:
    view = _managed_or_404(request, meeting_id)
    form = ActionForm(request.POST, view=view)
    if form.is_valid():
        data = form.cleaned_data
        try:
            meetings.action_item_create(
                actor=request.user,
                meeting_id=meeting_id,
                case_id=data["case"],
                description=data["description"],
                owner_organization_id=data["owner_organization"],
                due_on=data["due_on"],
            )
        except ApplicationError as exc:
            for i, e in enumerate(exc.errors):
                if e.field in ("owner_organization_id", "case_id"):
                    exc.errors[i] = type(e)(e.field.removesuffix("_id"), e.message)
            apply_errors(form, exc)
        else:
            messages.success(request, "対応事項を登録しました。")
            return redirect(f"{reverse('web:meeting_detail', args=[meeting_id])}#actions")
    return _detail_page(request, view, action_form=form)


@require_POST
@staff_required
def meeting_action_complete_view(request: HttpRequest, meeting_id: int, action_id: int) -> HttpResponse:
    try:
        meetings.action_item_complete(actor=request.user, action_id=action_id, meeting_id=meeting_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from None
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "対応事項を完了にしました。")
    return redirect(f"{reverse('web:meeting_detail', args=[meeting_id])}#actions")


# ---------------------------------------------------------------------------------------------------------------
# downloads


def _download(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@staff_required
def meeting_agenda_pdf_view(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting_or_404(request, meeting_id)
    body = letters.agenda_pdf(user=request.user, meeting_id=meeting.pk)
    return _download(body, "application/pdf", letters.agenda_filename(meeting, "pdf"))


@require_GET
@staff_required
def meeting_agenda_xlsx_view(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting_or_404(request, meeting_id)
    body = letters.agenda_xlsx(user=request.user, meeting_id=meeting.pk)
    return _download(body, XLSX, letters.agenda_filename(meeting, "xlsx"))


@require_GET
@staff_required
def handoff_letter_pdf_view(request: HttpRequest, handoff_id: int) -> HttpResponse:
    """The referral letter; 404 for a hand-off the user may not see or may not print a letter for."""
    try:
        body = letters.referral_letter_pdf(actor=request.user, handoff_id=handoff_id)
    except (NotFound, PermissionDenied) as exc:
        raise Http404(exc.message) from None
    return _download(body, "application/pdf", f"referral-{handoff_id}.pdf")
