"""Back-office views of the catalog (superusers). Staff edit items through the services (forms, API, imports)."""

from django.contrib import admin

from .models import CatalogSource, Equipment, Researcher, ResearchSeed, SupportProgram, TestService


@admin.register(CatalogSource)
class CatalogSourceAdmin(admin.ModelAdmin):
    list_display = ("name", "publisher", "licence", "is_fictitious", "item_count", "imported_at")
    readonly_fields = ("imported_at", "item_count")


class CatalogItemAdmin(admin.ModelAdmin):
    list_filter = ("is_public", "region", "source")
    readonly_fields = ("created_at", "updated_at", "created_by")
    list_select_related = True


@admin.register(Researcher)
class ResearcherAdmin(CatalogItemAdmin):
    list_display = ("name", "affiliation", "kaken_researcher_number", "organization", "is_public")
    search_fields = ("name", "kana", "affiliation", "kaken_researcher_number")
    raw_id_fields = ("organization",)


@admin.register(ResearchSeed)
class ResearchSeedAdmin(CatalogItemAdmin):
    list_display = ("title", "researcher", "institution", "institution_name", "stage", "is_public")
    list_filter = ("is_public", "stage", "ip_status", "region", "source")
    search_fields = ("title", "summary", "external_id", "institution_name")
    raw_id_fields = ("researcher", "institution")


@admin.register(Equipment)
class EquipmentAdmin(CatalogItemAdmin):
    list_display = ("name", "organization", "category", "external_use", "fee_summary", "is_public")
    list_filter = ("is_public", "category", "external_use", "region", "source")
    search_fields = ("name", "maker", "model_number", "specifications")
    raw_id_fields = ("organization",)


@admin.register(TestService)
class TestServiceAdmin(CatalogItemAdmin):
    list_display = ("name", "standard", "organization", "unit", "fee_yen", "is_public")
    search_fields = ("name", "method", "standard")
    raw_id_fields = ("organization", "equipment")


@admin.register(SupportProgram)
class SupportProgramAdmin(CatalogItemAdmin):
    list_display = ("title", "kind", "provider_name", "fiscal_year", "opens_on", "closes_on", "is_public")
    list_filter = ("is_public", "kind", "fiscal_year", "region", "source")
    search_fields = ("title", "provider_name", "summary", "external_id")
    raw_id_fields = ("organization",)
