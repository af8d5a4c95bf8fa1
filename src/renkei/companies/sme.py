"""中小企業 status derived from 中小企業基本法 第2条 and its 政令 exceptions.

A company is a 中小企業者 if its capital **or** its regular employees are within its sector's limit, and a
小規模企業者 if its employees are within the small-business limit. The sector comes from the JSIC code
(第14回改定) through the 中小企業庁's correspondence of 業種 to 産業分類, written here as data: the longest
matching code prefix wins (major letters are matched through ``major_code``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .choices import Sector, SizeClass


@dataclass(frozen=True)
class Limits:
    capital: int  # yen, inclusive
    employees: int  # inclusive
    small_employees: int  # 小規模企業者, inclusive


LIMITS: dict[str, Limits] = {
    Sector.MANUFACTURING: Limits(300_000_000, 300, 20),
    Sector.WHOLESALE: Limits(100_000_000, 100, 5),
    Sector.RETAIL: Limits(50_000_000, 50, 5),
    Sector.SERVICES: Limits(50_000_000, 100, 5),
    Sector.RUBBER: Limits(300_000_000, 900, 20),
    Sector.SOFTWARE: Limits(300_000_000, 300, 5),
    Sector.INN: Limits(50_000_000, 200, 20),
}

# Code prefixes (中分類 2 digits, 小分類 3, 細分類 4) → sector. Major letters (大分類) as "major:X".
SECTOR_BY_PREFIX: dict[str, str] = {
    **{f"{m}": Sector.WHOLESALE for m in ("50", "51", "52", "53", "54", "55")},
    **{f"{m}": Sector.RETAIL for m in ("56", "57", "58", "59", "60", "61", "76", "77")},
    # 情報通信業 (G): 放送業, 情報サービス業, 映像・音声・文字情報制作業の一部
    "38": Sector.SERVICES,
    "39": Sector.SERVICES,
    "411": Sector.SERVICES,
    "412": Sector.SERVICES,
    "415": Sector.SERVICES,
    "416": Sector.SERVICES,
    # 不動産業、物品賃貸業 (K): 駐車場業, 物品賃貸業
    "693": Sector.SERVICES,
    "70": Sector.SERVICES,
    "major:L": Sector.SERVICES,
    "75": Sector.SERVICES,  # 宿泊業
    "major:N": Sector.SERVICES,
    "791": Sector.MANUFACTURING,  # 旅行業 is outside サービス業 in the 中小企業庁 table
    "major:O": Sector.SERVICES,
    "major:P": Sector.SERVICES,
    "major:Q": Sector.SERVICES,
    "major:R": Sector.SERVICES,
    # 政令 exceptions
    "19": Sector.RUBBER,  # ゴム製品製造業 …
    "1911": Sector.MANUFACTURING,  # … except 自動車タイヤ・チューブ製造業
    "1931": Sector.MANUFACTURING,  # … and ゴムベルト製造業 (工業用ベルト)
    "391": Sector.SOFTWARE,  # ソフトウェア業
    "3921": Sector.SOFTWARE,  # 情報処理サービス業
    "7511": Sector.INN,  # 旅館、ホテル
}

# 小規模企業者: 宿泊業 and 娯楽業 count as ≤ 20 although they are services.
SMALL_20_PREFIXES = ("75", "80")


def sector_for(jsic_code: str, major_code: str) -> str:
    for length in (4, 3, 2):
        if len(jsic_code) >= length and (sector := SECTOR_BY_PREFIX.get(jsic_code[:length])):
            return sector
    return SECTOR_BY_PREFIX.get(f"major:{major_code}", Sector.MANUFACTURING)


@dataclass(frozen=True)
class SizeVerdict:
    size_class: str
    sector: str
    reason: str


def classify_size(
    *, jsic_code: str | None, major_code: str | None, capital: int | None, employees: int | None
) -> SizeVerdict:
    """Derive 小規模企業者 / 中小企業者 / 大企業 / 判定不能, with the reason in Japanese."""
    if not jsic_code or not major_code:
        return SizeVerdict(SizeClass.UNKNOWN, "", "業種（産業分類）が未登録のため判定できません。")
    sector = sector_for(jsic_code, major_code)
    limits = LIMITS[sector]
    small_limit = 20 if jsic_code.startswith(SMALL_20_PREFIXES) else limits.small_employees
    label = Sector(sector).label
    capital_ok = capital is not None and capital <= limits.capital
    employees_ok = employees is not None and employees <= limits.employees
    if employees is not None and employees <= small_limit:
        return SizeVerdict(
            SizeClass.SMALL, sector, f"{label}: 従業員 {employees} 人（小規模企業者は {small_limit} 人以下）"
        )
    if capital_ok or employees_ok:
        parts = []
        if capital_ok:
            parts.append(f"資本金 {capital:,} 円（{limits.capital:,} 円以下）")
        if employees_ok:
            parts.append(f"従業員 {employees} 人（{limits.employees} 人以下）")
        return SizeVerdict(SizeClass.SME, sector, f"{label}: " + "、".join(parts))
    if capital is None or employees is None:
        missing = "資本金" if capital is None else "従業員数"
        return SizeVerdict(SizeClass.UNKNOWN, sector, f"{label}: {missing}が未登録のため判定できません。")
    return SizeVerdict(
        SizeClass.LARGE,
        sector,
        f"{label}: 資本金 {capital:,} 円（上限 {limits.capital:,} 円）・従業員 {employees} 人（上限 {limits.employees} 人）をともに超えています。",
    )
