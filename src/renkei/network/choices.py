from django.db import models


class OrganizationKind(models.TextChoices):
    INDUSTRY = "industry", "産（企業・業界団体）"
    ACADEMIA = "academia", "学（大学・高専・研究機関）"
    GOVERNMENT = "government", "官（行政・公設試）"
    FINANCE = "finance", "金（金融機関）"
    SUPPORT = "support", "支援機関"


class StaffRole(models.TextChoices):
    SECRETARIAT = "secretariat", "事務局"
    COORDINATOR = "coordinator", "コーディネーター"
    MEMBER = "member", "担当者"
    VIEWER = "viewer", "閲覧者"


# Roles that may write (create/edit companies and the like).
WRITER_ROLES = frozenset({StaffRole.SECRETARIAT, StaffRole.COORDINATOR, StaffRole.MEMBER})
