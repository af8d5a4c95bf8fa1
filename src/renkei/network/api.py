"""API routes for the network app (organizations are public; staff is staff-only)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["機関"])
staff_router = Router(tags=["職員"])
