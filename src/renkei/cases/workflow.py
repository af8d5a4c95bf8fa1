"""The status workflow of a case, as one table, checked in one place (``check_transition``).

受付 → 振分済 → 対応中 ⇄ 企業回答待ち (clocks suspended) → 解決 / 他機関紹介済 / 対応不可 / 取下げ → クローズ;
a finished or closed case can be reopened (対応中) with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from renkei.core.errors import Conflict, FieldError, ValidationFailed

from .choices import FINISHED_STATUSES, CaseStatus

S = CaseStatus


@dataclass(frozen=True)
class Transition:
    label: str  # the button a person presses
    needs_reason: bool = False
    via_routing: bool = False  # only through case_route (it sets the lead organization)


_FINISH = {
    S.RESOLVED: Transition("解決"),
    S.REFERRED: Transition("他機関紹介済"),
    S.UNABLE: Transition("対応不可", needs_reason=True),
    S.WITHDRAWN: Transition("取下げ", needs_reason=True),
}
_REOPEN = {S.IN_PROGRESS: Transition("再開", needs_reason=True)}

TRANSITIONS: dict[str, dict[str, Transition]] = {
    S.RECEIVED: {
        S.ROUTED: Transition("振分け", via_routing=True),
        S.IN_PROGRESS: Transition("対応開始"),
        S.REFERRED: _FINISH[S.REFERRED],
        S.UNABLE: _FINISH[S.UNABLE],
        S.WITHDRAWN: _FINISH[S.WITHDRAWN],
    },
    S.ROUTED: {
        S.ROUTED: Transition("振分け直し", via_routing=True),
        S.IN_PROGRESS: Transition("対応開始"),
        S.WAITING: Transition("企業回答待ちにする"),
        **_FINISH,
    },
    S.IN_PROGRESS: {
        S.ROUTED: Transition("振分け直し", via_routing=True),
        S.WAITING: Transition("企業回答待ちにする"),
        **_FINISH,
    },
    S.WAITING: {
        S.IN_PROGRESS: Transition("回答あり・対応再開"),
        **_FINISH,
    },
    S.RESOLVED: {S.CLOSED: Transition("クローズ"), **_REOPEN},
    S.REFERRED: {S.CLOSED: Transition("クローズ"), **_REOPEN},
    S.UNABLE: {S.CLOSED: Transition("クローズ"), **_REOPEN},
    S.WITHDRAWN: {S.CLOSED: Transition("クローズ"), **_REOPEN},
    S.CLOSED: {**_REOPEN},
}


def allowed_targets(status: str, *, include_routing: bool = False) -> list[tuple[str, Transition]]:
    """The statuses a case in ``status`` may move to, in table order (the buttons on the case page)."""
    return [(to, t) for to, t in TRANSITIONS.get(status, {}).items() if include_routing or not t.via_routing]


def check_transition(
    from_status: str, to_status: str, *, reason: str = "", via_routing: bool = False
) -> Transition:
    """Return the Transition, or raise a Japanese error saying why the move is not allowed."""
    if to_status not in S.values:
        raise ValidationFailed.from_errors([FieldError("status", f"状態「{to_status}」はありません。")])
    transition = TRANSITIONS.get(from_status, {}).get(to_status)
    if transition is None:
        raise Conflict(
            f"「{S(from_status).label}」から「{S(to_status).label}」には変更できません。", field="status"
        )
    if transition.via_routing and not via_routing:
        raise Conflict("振分けは「振分け」の操作で行ってください（主担当機関を決めます）。", field="status")
    if transition.needs_reason and not reason.strip():
        raise ValidationFailed.from_errors(
            [FieldError("reason", f"「{transition.label}」には理由の入力が必要です。")]
        )
    return transition


def is_reopen(from_status: str, to_status: str) -> bool:
    return from_status in FINISHED_STATUSES and to_status == S.IN_PROGRESS


def is_first_response(to_status: str) -> bool:
    """Entering one of these counts as the first response to the company (stops the first-response clock)."""
    return to_status in {S.IN_PROGRESS, S.WAITING} or to_status in FINISHED_STATUSES
