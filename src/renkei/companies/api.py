"""API routes for companies (staff only)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["企業"])
