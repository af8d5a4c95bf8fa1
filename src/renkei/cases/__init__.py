"""Consultations (相談案件): intake, classification, routing, escalation ladders, hand-offs, SLA clocks, meetings."""
