"""Back-office editing of the case ledger's configuration (superusers only; the secretariat uses JSON files)."""

from django.contrib import admin

from .models import CaseSettings, EscalationLadder, EscalationStep, RoutingRule, SlaPolicy


@admin.register(CaseSettings)
class CaseSettingsAdmin(admin.ModelAdmin):
    list_display = ("region", "window_organization", "public_intake", "handoff_reply_days")


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("region", "category", "first_response_days", "resolution_days")
    list_filter = ("region",)


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("region", "position", "name", "lead_organization", "is_active")
    list_filter = ("region", "is_active")


class EscalationStepInline(admin.TabularInline):
    model = EscalationStep
    extra = 0


@admin.register(EscalationLadder)
class EscalationLadderAdmin(admin.ModelAdmin):
    list_display = ("region", "name", "is_default")
    inlines = [EscalationStepInline]
