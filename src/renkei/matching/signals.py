"""Writes to what the index holds mark it stale (in the writer's transaction) and schedule an update on commit.

The importers' bulk writes send no ``post_save``; they send ``catalog.signals.catalog_imported`` instead.
"""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from renkei.catalog.models import Equipment, Researcher, ResearchSeed, SupportProgram, TestService
from renkei.catalog.signals import catalog_imported
from renkei.network.models import Organization, OrganizationRole

from .store import mark_changed

_INDEXED = (ResearchSeed, Researcher, Equipment, TestService, SupportProgram, Organization, OrganizationRole)


def _changed(sender, **kwargs) -> None:
    mark_changed()


for _model in _INDEXED:
    post_save.connect(_changed, sender=_model, dispatch_uid=f"matching-save-{_model.__name__}")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"matching-delete-{_model.__name__}")
m2m_changed.connect(_changed, sender=OrganizationRole.capabilities.through, dispatch_uid="matching-role-caps")
catalog_imported.connect(_changed, dispatch_uid="matching-catalog-imported")


@receiver(post_save, sender="cases.Case", dispatch_uid="matching-case-save")
def _case_saved(sender, instance, created, **kwargs) -> None:
    # The index holds a case's title and summary, set at intake; status, assignee and SLA writes leave it alone.
    if created:
        mark_changed()


@receiver(post_delete, sender="cases.Case", dispatch_uid="matching-case-delete")
def _case_deleted(sender, **kwargs) -> None:
    mark_changed()
