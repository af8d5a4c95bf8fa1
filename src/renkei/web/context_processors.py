from __future__ import annotations

from renkei.network.selectors import staff_context


def navigation(request):
    ctx = staff_context(getattr(request, "user", None))
    return {"staff": ctx, "is_staff_member": ctx.is_staff_member}
