"""Choices of the catalog. Values are stable English keys; labels are what people read."""

from django.db import models


class IpStatus(models.TextChoices):
    NONE = "none", "なし"
    PENDING = "pending", "出願中"
    REGISTERED = "registered", "登録済"
    LICENSABLE = "licensable", "ライセンス可能"
    UNKNOWN = "unknown", "不明"


class SeedStage(models.TextChoices):
    BASIC = "basic", "基礎研究"
    APPLIED = "applied", "応用研究"
    PRACTICAL = "practical", "実用化研究"
    COMMERCIAL = "commercial", "事業化"


class EquipmentCategory(models.TextChoices):
    ANALYSIS = "analysis", "分析・計測"
    TESTING = "testing", "試験・評価"
    FABRICATION = "fabrication", "加工・試作"
    ELECTRICAL = "electrical", "電気・電子・EMC"
    ENVIRONMENT = "environment", "環境試験"
    MATERIALS = "materials", "材料"
    DIGITAL = "digital", "情報・デジタル"
    OTHER = "other", "その他"


class ProgramKind(models.TextChoices):
    SUBSIDY = "subsidy", "補助金"
    GRANT = "grant", "助成金"
    LOAN = "loan", "融資"
    INVESTMENT = "investment", "出資"
    EXPERT = "expert", "専門家派遣"
    SEMINAR = "seminar", "セミナー"
    EXHIBITION = "exhibition", "展示会"
    CERTIFICATION = "certification", "認定"


# What a program is for (SupportProgram.purposes): a fixed vocabulary so lists can be filtered.
PURPOSES = (
    "研究開発",
    "設備投資",
    "販路開拓",
    "人材育成",
    "事業承継",
    "創業",
    "省エネ・脱炭素",
    "デジタル化",
)

# The kinds of catalog item, as named in URLs, the CLI (``renkei import-catalog KIND``) and the selectors.
KIND_SEEDS = "seeds"
KIND_RESEARCHERS = "researchers"
KIND_EQUIPMENT = "equipment"
KIND_TEST_SERVICES = "test-services"
KIND_PROGRAMS = "programs"
KINDS = (KIND_SEEDS, KIND_RESEARCHERS, KIND_EQUIPMENT, KIND_TEST_SERVICES, KIND_PROGRAMS)
KIND_LABELS = {
    KIND_SEEDS: "研究シーズ",
    KIND_RESEARCHERS: "研究者",
    KIND_EQUIPMENT: "機器",
    KIND_TEST_SERVICES: "依頼試験",
    KIND_PROGRAMS: "支援施策",
}

ELIGIBILITY_FORMAT = "renkei-eligibility/1"
