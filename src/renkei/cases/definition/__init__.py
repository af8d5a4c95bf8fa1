"""The case ledger's configuration as data: one JSON-able dict per region, loaded and dumped.

The format (``cases_definition_dump(region)`` writes it, ``cases_definition_load(data=…)`` reads it)::

    {"format": "renkei-cases/1", "region": "chiba", "note": "…",
     "window": "<organization name>", "public_intake": true, "handoff_reply_days": 5, "receipt_prefix": "",
     "sla": [{"category": null | "technical", "first_response_days": 2, "resolution_days": 20}],
     "routing_rules": [{"name": "…", "conditions": {"categories": ["technical"], "keywords": […], …},
                        "lead_organization": "<organization name>", "default_assignee": "<username>" | null,
                        "active": true, "note": "根拠: 000 §1(2)"}],
     "ladders": [{"name": "…", "default": true, "description": "…",
                  "steps": [{"name": "…", "owner": "<organization name>" | null, "target_days": 10,
                             "categories": ["technical"], "meeting": "regular" | "support" | "other" | "",
                             "external": false, "description": "…"}]}],
     "training_examples": [{"category": "technical", "field": "digital", "text": "…"}]}

Rules:
- ``region`` is a region's slug; organizations are named by their exact name within that region (rule leads,
  ladder step owners and the window stay inside the region: bodies outside it are reached by hand-offs);
  categories and target fields by code; users by username. ``note`` is documentation only (not stored).
- The settings (window, public_intake, handoff_reply_days, receipt_prefix) describe the region's CaseSettings
  completely: an omitted key takes its default. A section (sla, routing_rules, ladders, training_examples) that is
  present replaces what the region holds; an absent section is left alone. Routing rules, ladders and steps are
  replaced by position (rule 1 updates rule 1 in place, so ids survive); the training examples replaced are the
  seeded ones (a case a person confirmed stays a training example).
- Everything is validated before anything is written: every problem is reported with its JSON path
  (``routing_rules[3].lead_organization``) and a Japanese message, and then nothing is written. The write is one
  transaction, and a row is only written when it differs, so loading the same file twice changes nothing.
"""

from .dump import cases_definition_dump
from .load import FORMAT, cases_definition_load

__all__ = ["FORMAT", "cases_definition_dump", "cases_definition_load"]
