"""Signals the catalog sends. Receivers (e.g. the matching index) only enqueue work; they hold no rules.

``catalog_imported`` is sent by every importer after its bulk write, inside the import's transaction (bulk
INSERT/UPDATE send no ``post_save``): ``sender`` is the model written, ``source`` the CatalogSource, ``created``
and ``updated`` the counts.
"""

from django.dispatch import Signal

catalog_imported = Signal()
