"""A network definition as data: regions, target fields, categories, capability tags, organizations with their
roles, and partner networks — loaded from and dumped to one JSON-able dict.

The format (``network_definition_dump()`` writes it, ``network_definition_load()`` reads it)::

    {"format": "renkei-network/1",
     "regions": [{"prefecture": "12", "name": "千葉県", "slug": "chiba", "is_home": true, "plan_name": "…",
                  "fields": [{"code": "digital", "name": "デジタル", "children": [{"code": …, "name": …}]}]}],
     "categories": [{"code": "technical", "name": "技術的課題", "children": [{"code": …, "name": …}]}],
     "capabilities": ["食品", "醸造", …],
     "organizations": [{"region": "chiba", "name": "…", "kind": "government", "parent": "千葉県",
                        "short_name": …, "kana": …, "postal_code": …, "address": …, "representative_title": …,
                        "representative_name": …, "url": …, "phone": …, "email": …, "is_plan_member": true,
                        "description": …, "fields": ["digital"],
                        "roles": [{"text": "…", "capabilities": ["IoT"], "accepts_categories": ["technical"]}]}],
     "partner_networks": [{"name": "…", "short_name": "TKF", "description": …, "url": …,
                           "founded_fiscal_year": 2005,
                           "members": [{"organization": "…", "region": "tokyo", "note": …}]}]}

Rules:
- Natural keys: a region is its prefecture code, a target field its (region, code), a category its code, a
  capability its name, an organization its (region slug, name), a partner network its name. Loading twice changes
  nothing (upsert); what the file does not mention is left alone.
- An organization listed in the file is described completely: an omitted key means blank. Its roles and target
  fields, and the members of a listed partner network, are replaced by the file's (roles are updated in place, so
  their ids survive a reload of the same file).
- ``parent`` names an organization of the same region (or of ``parent_region``); references may point into the
  file or at what the database already holds.
- Everything is validated before anything is written; every problem is reported with its JSON path
  (``organizations[3].parent``) and a Japanese message, and then nothing is written. The write is one transaction.
"""

from .dump import network_definition_dump
from .load import network_definition_load
from .shape import FORMAT

__all__ = ["FORMAT", "network_definition_dump", "network_definition_load"]
