from django.db import models


class SizeClass(models.TextChoices):
    SMALL = "small", "小規模企業者"
    SME = "sme", "中小企業者"
    LARGE = "large", "大企業"
    UNKNOWN = "unknown", "判定不能"


class Sector(models.TextChoices):
    """中小企業基本法 第2条 の業種区分 (and the 政令 exceptions)."""

    MANUFACTURING = "manufacturing", "製造業その他"
    WHOLESALE = "wholesale", "卸売業"
    RETAIL = "retail", "小売業"
    SERVICES = "services", "サービス業"
    RUBBER = "rubber", "ゴム製品製造業（政令）"
    SOFTWARE = "software", "ソフトウェア業・情報処理サービス業（政令）"
    INN = "inn", "旅館業（政令）"
