"""Synthetic, clearly fictitious companies for the demo and the benchmarks.

``generate_company_rows(n, seed=…, region_prefecture_code="12")`` returns plain dicts keyed like
``companies.validation.CompanyValidator`` (the import benchmark writes them to CSV); the demo loader creates them
through ``companies.services.company_create`` with ``is_fictitious=True``.

How fiction is marked: every name is invented from the word lists below and **always ends with 「（架空）」**
(``FICTION_MARK``; stored as 「(架空)」 after the validator's NFKC), so no generated name is a real company's
name. 法人番号 are 12 pseudo-random digits plus the real check digit (``stdnum.jp.cn``): valid, unique within one
call for any n ≤ 10¹² (an affine permutation of the 12-digit space), but random — one may by chance equal a real
registration, which is why the name carries the mark.
Postal codes and phone numbers are left blank rather than invented; addresses use generic town names.

Deterministic: the same (n, seed, prefecture) gives the same rows, and the first k rows do not depend on n.
No Faker: the vocabularies are ours and follow the JSIC 中分類 of each company, so the technology and product texts
are concrete and relevant to the industry (they feed the matching engine).
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import math
import random
from collections.abc import Iterator, Sequence
from itertools import accumulate
from typing import Any

from stdnum.jp.cn import calc_check_digit

from renkei.core.reference import read_industry_classes, read_municipalities

FICTION_MARK = "（架空）"
_SPACE = 10**12  # 12-digit bodies of 法人番号

# The 法人番号 check digit is 9 − (Σ weight·digit mod 9) with weights 1, 2, 1, 2 … from the right. Sums over
# 3-digit chunks are tabulated with stdnum's own calc_check_digit: weights (1, 2, 1) for a chunk as it is, (2, 1, 2)
# for a chunk followed by a 0. The generator then needs four lookups per number instead of a call on 12 digits.
_CHUNK_121 = tuple(9 - int(calc_check_digit(f"{x:03d}")) for x in range(1000))
_CHUNK_212 = tuple(9 - int(calc_check_digit(f"{x:03d}0")) for x in range(1000))


def corporate_number(body: int) -> str:
    """The 13-digit 法人番号 whose last 12 digits are ``body`` (same result as stdnum's calc_check_digit)."""
    high, low = divmod(body, 1_000_000)
    total = (
        _CHUNK_121[low % 1000] + _CHUNK_212[low // 1000] + _CHUNK_121[high % 1000] + _CHUNK_212[high // 1000]
    )
    return f"{9 - total % 9}{body:012d}"


@dataclasses.dataclass(frozen=True)
class Trade:
    """The vocabulary of one JSIC 中分類 (or a group of them)."""

    codes: tuple[str, ...]  # JSIC 細分類 codes
    weight: int
    suffixes: tuple[tuple[str, str], ...]  # (name part, reading)
    processes: tuple[str, ...]
    material_label: str
    materials: tuple[str, ...]
    products: tuple[str, ...]
    markets: tuple[str, ...]
    certifications: tuple[str, ...]


def _trade(
    codes: str,
    weight: int,
    suffixes: str,
    processes: str,
    label: str,
    materials: str,
    products: str,
    markets: str,
    certifications: str = "",
) -> Trade:
    """Lists are written as 「、」-separated strings; suffixes as 「名称:よみ」."""

    def split(text: str) -> tuple[str, ...]:
        return tuple(x for x in text.split("、") if x)

    return Trade(
        codes=tuple(codes.split()),
        weight=weight,
        suffixes=tuple((s.split(":")[0], s.split(":")[1]) for s in split(suffixes)),
        processes=split(processes),
        material_label=label,
        materials=split(materials),
        products=split(products),
        markets=split(markets),
        certifications=split(certifications),
    )


# fmt: off
TRADES: tuple[Trade, ...] = (
    _trade("0912 0914 0923 0931 0932 0941 0942 0949 0971 0972 0974 0992 0993 0996 0998 0999", 10,
           "食品:しょくひん、フーズ:ふーず、食品工業:しょくひんこうぎょう、物産:ぶっさん",
           "加熱殺菌、レトルト殺菌、真空包装、凍結乾燥（フリーズドライ）、低温熟成、発酵管理、粉砕・造粒、無菌充填、急速冷凍、"
           "HACCPに基づく衛生管理", "原料", "県産米、大豆、地元野菜、果実、水産物、小麦、豚肉、乳製品",
           "漬物、味噌、米菓、惣菜、レトルトカレー、冷凍食品、和菓子、生麺、豆腐、かまぼこ、ジャム",
           "量販店、業務用、土産物、学校給食、通信販売", "HACCP、FSSC 22000、ISO 22000、JFS-B規格"),
    _trade("1011 1021 1022 1023 1024 1031 1032", 3, "酒造:しゅぞう、醸造:じょうぞう、飲料:いんりょう",
           "清酒の醸造、麹づくり、低温発酵、果汁の搾汁・ろ過、火入れ殺菌、瓶詰め、焙煎", "原料",
           "酒米、ぶどう、りんご、茶葉、地下水、コーヒー生豆、酵母", "純米酒、吟醸酒、ワイン、シードル、果汁飲料、日本茶、クラフトビール",
           "酒販店、飲食店、海外、観光土産", "HACCP、GI認証"),
    _trade("1121 1122 1131 1157 1162 1165 1194 1199", 3, "織物:おりもの、繊維:せんい、縫製:ほうせい、テキスタイル:てきすたいる",
           "先染め織物の製織、ジャカード織、丸編み、不織布の熱接着加工、縫製、撥水加工、抗菌加工", "素材",
           "絹、綿、ポリエステル、アラミド繊維、炭素繊維、羊毛", "婦人服地、ネクタイ生地、作業服、医療用ガウン、フィルター用不織布、産業資材用シート",
           "アパレル、医療、自動車、建設", "エコテックス認証"),
    _trade("1221 1223 1299 1311 1331 1391", 2, "木工所:もっこうしょ、木材:もくざい、家具製作所:かぐせいさくしょ",
           "NCルーターによる木材加工、曲げ木、集成材の製造、突板貼り、ウレタン塗装、木工旋盤", "素材",
           "スギ、ヒノキ、ナラ、県産材、合板", "木製家具、建具、店舗什器、木製玩具、内装材", "住宅、店舗、公共施設", "FSC認証"),
    _trade("1432 1453 1454", 1, "紙器:しき、パッケージ:ぱっけーじ", "段ボールの製函、打ち抜き加工、貼り合わせ、フレキソ印刷", "素材",
           "段ボール、板紙、クラフト紙", "段ボール箱、化粧箱、緩衝材", "食品、通販、電子部品", "FSC認証"),
    _trade("1511 1513 1521 1591", 3, "印刷:いんさつ、印刷所:いんさつしょ、グラフィックス:ぐらふぃっくす",
           "オフセット印刷、スクリーン印刷、パッド印刷、インクジェット印刷、特殊インキ印刷", "対象",
           "紙、フィルム、金属板、樹脂成形品", "銘板、操作パネル、パッケージ、ラベル、印刷配線パターン", "家電、自動車、食品",
           "FSC認証、ISO 27001"),
    _trade("1622 1633 1635 1643 1644 1646 1652 1661 1694 1697 1699", 4,
           "化学:かがく、化成:かせい、ケミカル:けみかる、化学工業:かがくこうぎょう",
           "有機合成、高分子の重合、乳化・分散、精密ろ過、晶析、微粒子化、受託合成、配合設計", "原料",
           "ヨウ素化合物、樹脂原料、界面活性剤、天然由来成分、顔料、機能性ポリマー",
           "機能性塗料、工業用接着剤、化粧品原料、洗浄剤、試薬、医薬品中間体", "化粧品、医薬品、電子材料、建材", "GMP、ISO 14001"),
    _trade("1811 1814 1821 1822 1831 1832 1833 1834 1842 1851 1891 1892 1897", 8,
           "化成:かせい、樹脂工業:じゅしこうぎょう、プラスチック:ぷらすちっく、成形:せいけい",
           "樹脂射出成形、押出成形、ブロー成形、真空成形、インサート成形、二色成形、樹脂の切削加工、超音波溶着", "素材",
           "PP、ABS、PC、POM、PEEK、ナイロン、PET、エンジニアリングプラスチック",
           "自動車内装部品、家電筐体、医療用容器、食品トレー、精密ギア、コネクタハウジング", "自動車、家電、医療機器、食品", "ISO 13485"),
    _trade("1931 1932 1933 1992 1999", 2, "ゴム工業:ごむこうぎょう、化工:かこう",
           "ゴムの圧縮成形、ゴムの射出成形、押出加工、加硫、ゴムと金属の接着、シリコーンゴムの成形", "素材",
           "EPDM、シリコーンゴム、フッ素ゴム、NBR、天然ゴム", "Oリング、パッキン、防振ゴム、ホース、医療用ゴム栓", "自動車、建設機械、医療"),
    _trade("2112 2115 2123 2142 2145 2159 2171 2172 2199", 3,
           "窯業:ようぎょう、セラミックス:せらみっくす、硝子:がらす、陶器:とうき",
           "ファインセラミックスの焼成、ガラスの精密研磨、粉末成形、釉薬の調合、研削砥石の製造、鋳込み成形", "素材",
           "アルミナ、ジルコニア、石英ガラス、陶土、炭化ケイ素", "工業用セラミックス部品、理化学用ガラス器具、食器、耐火物、砥石、コンクリート製品",
           "半導体製造装置、研究機関、建設", ""),
    _trade("2236 2238 2251 2252 2253 2254 2291", 3, "鋳造:ちゅうぞう、鋳工所:ちゅうこうしょ、鍛造:たんぞう、鉄工所:てっこうしょ",
           "砂型鋳造、ダクタイル鋳鉄の鋳造、熱間鍛造、冷間鍛造、鋼材の切断・スリット、溶解と成分管理", "素材",
           "鋳鉄、炭素鋼、ステンレス鋼、合金鋼", "鋳物部品、鍛造品、工作機械のベッド、農業機械部品、ポンプケーシング",
           "工作機械、農業機械、建設機械"),
    _trade("2331 2332 2341 2351 2352 2353 2355", 2, "軽合金:けいごうきん、金属工業:きんぞくこうぎょう、ダイカスト:だいかすと",
           "アルミダイカスト、銅合金の鋳造、アルミ押出加工、非鉄金属の鍛造、線材の伸線", "素材",
           "アルミニウム合金、銅合金、チタン、マグネシウム合金、黄銅", "エンジン部品、ヒートシンク、電線、配管継手、筐体",
           "自動車、電機、住宅設備"),
    _trade("2422 2424 2441 2442 2443 2446 2451 2452 2461 2462 2464 2465 2469 2479 2481 2492 2499", 14,
           "工業:こうぎょう、製作所:せいさくしょ、鉄工所:てっこうしょ、金属:きんぞく、鍍金工業:めっきこうぎょう",
           "精密板金、レーザー切断、タレットパンチプレス加工、曲げ加工、TIG溶接、金属プレス加工、順送金型によるプレス、電気めっき、"
           "無電解ニッケルめっき、陽極酸化（アルマイト）処理、真空熱処理、高周波焼入れ、粉体塗装、ばね成形", "素材",
           "SPCC、ステンレス、アルミ、銅、亜鉛めっき鋼板", "制御盤筐体、架台、ブラケット、精密ばね、ボルト・ナット、建築金物、産業機械カバー",
           "産業機械、建設、自動車、半導体製造装置"),
    _trade("2521 2523 2531 2533 2535 2592 2593 2594 2596 2599", 6, "機械:きかい、機工:きこう、精機:せいき、工機:こうき",
           "精密切削、5軸マシニングセンタ加工、歯車加工、研削加工、組立・調整、油圧回路設計", "素材",
           "S45C、SCM440、ステンレス、鋳物、アルミ", "ポンプ、バルブ、減速機、油圧シリンダー、コンベヤ、軸受部品",
           "プラント、建設機械、物流"),
    _trade("2611 2621 2641 2645 2653 2661 2663 2664 2671 2691 2692 2693 2694 2699", 12,
           "精機:せいき、機械製作所:きかいせいさくしょ、エンジニアリング:えんじにありんぐ、技研:ぎけん、金型製作所:かながたせいさくしょ",
           "専用機の設計・製作、金型設計・製作、放電加工、ワイヤーカット、自動化ラインの構築、ロボットシステムインテグレーション、精密研削、"
           "真空技術", "素材", "工具鋼、超硬合金、SKD11、アルミフレーム",
           "省力化装置、検査装置、プレス金型、射出成形金型、食品加工機械、包装機、農業用機械、搬送ロボット、真空チャンバー",
           "自動車、食品、半導体、物流"),
    _trade("2733 2734 2735 2736 2738 2741 2743 2753", 4, "計器:けいき、医科器械:いかきかい、光学:こうがく、メディカル:めでぃかる",
           "光学部品の研磨、精密組立、センサー信号処理、医療機器の製造（クラスⅡ）、クリーンルームでの組立、校正", "素材",
           "光学ガラス、ステンレス、医療用樹脂、チタン", "計測器、材料試験機、分析装置、医療用器具、手術用鉗子、光学レンズ、顕微鏡部品",
           "医療機関、研究機関、工場", "ISO 13485、医療機器製造業登録、JCSS"),
    _trade("2812 2813 2814 2821 2823 2841 2842 2851 2859 2899", 7,
           "電子:でんし、電子工業:でんしこうぎょう、デバイス:でばいす、エレクトロニクス:えれくとろにくす",
           "電子回路基板の設計、SMT実装、はんだ付け、ワイヤーボンディング、薄膜形成、フォトリソグラフィ、検査治具の製作、"
           "有機EL素子の試作", "素材", "ガラスエポキシ基板、フレキシブル基板、シリコンウェハ、セラミック基板",
           "実装基板、電源ユニット、センサーモジュール、LED照明モジュール、コネクタ、半導体素子", "自動車、産業機器、医療機器、家電",
           "IPC-A-610"),
    _trade("2911 2913 2914 2921 2923 2929 2932 2942 2951 2962 2969 2971 2972", 7,
           "電機:でんき、電機製作所:でんきせいさくしょ、電設:でんせつ、電器:でんき",
           "制御盤の設計・製作、モーター巻線、シーケンス制御、インバータ制御、電気計測、ノイズ対策（EMC）設計、電源回路設計", "素材",
           "銅線、電磁鋼板、絶縁材料", "制御盤、配電盤、小型モーター、計測機器、LED照明器具、電熱装置、医療用電子機器",
           "工場設備、ビル設備、医療"),
    _trade("3013 3019 3023 3031 3035 3039", 2, "通信工業:つうしんこうぎょう、システム:しすてむ",
           "無線通信モジュールの設計、組込み機器の開発、表示装置の組立、音響機器の設計", "素材",
           "電子部品、筐体部品、液晶パネル", "無線モジュール、産業用表示器、通信機器、音響機器、IoTゲートウェイ", "通信、放送、工場"),
    _trade("3113 3122 3133 3149 3159 3191", 6, "工業:こうぎょう、自動車工業:じどうしゃこうぎょう、車輌:しゃりょう",
           "自動車部品の量産加工、航空機部品の5軸加工、溶接組立、熱処理と表面処理、品質保証", "素材",
           "高張力鋼板、アルミ合金、チタン合金、CFRP", "ブレーキ部品、シートフレーム、航空機用構造部品、鉄道車両用部品、産業用運搬車",
           "自動車、航空機、鉄道", "IATF 16949、JIS Q 9100"),
    _trade("3221 3231 3251 3253 3271 3282 3292 3295 3297 3299", 2, "工芸:こうげい、クラフト:くらふと、モデル:もでる",
           "3Dプリンタによる造形、手仕上げ、漆塗り、樹脂の注型、レーザー加工", "素材", "樹脂、木材、漆、金属",
           "工業用模型、試作品、看板、運動用具、漆器、時計部品", "展示会、小売、観光"),
    _trade("3911 3912 3913 3921", 5, "システム:しすてむ、ソフト:そふと、情報システム:じょうほうしすてむ、テクノロジー:てくのろじー",
           "組込みソフトウェア開発、生産管理システムの開発、画像処理、AIを用いた外観検査、IoTデータの収集・可視化、クラウドシステムの構築",
           "開発環境", "C言語、Python、PLC、マイコン、クラウド", "生産管理システム、外観検査システム、設備稼働監視システム、業務アプリ、組込み制御ソフト",
           "製造業、自治体、医療機関", "ISO 27001、プライバシーマーク"),
    _trade("7431 7441 7442 7451 7452", 3, "技研:ぎけん、設計:せっけい、エンジニアリング:えんじにありんぐ、検査:けんさ",
           "機械設計、三次元CADによる設計、構造解析（CAE）、非破壊検査、環境分析、製品の受託試験", "対象",
           "機械装置、構造物、水質・大気、電子機器", "設計図面、検査報告書、分析サービス、試作評価", "製造業、建設、自治体",
           "ISO/IEC 17025、計量証明事業登録"),
)

_FEATURES = (
    "試作1個から量産まで対応", "小ロット・多品種の短納期生産が強み", "設計から製造、検査までの一貫体制", "三次元測定機による品質保証",
    "熟練技能者による手仕上げ", "自社設計の治具で段取り時間を短縮", "IoTで設備の稼働状況を見える化", "全数検査とトレーサビリティを確保",
    "夜間の無人運転で低コスト化", "大学との共同研究の実績あり", "公設試の依頼試験で製品の品質を評価", "特許を2件保有",
    "女性技術者が多く活躍", "海外メーカーとの取引実績あり", "地域の同業者と共同受注グループを結成", "5S・QC活動を全社で実施",
    "クリーンルームを保有", "自社ブランド製品を開発中", "環境負荷の少ない工程への切り替えを推進", "若手技術者の育成に注力",
)
_NEEDS = (
    "AIを活用した外観検査の自動化", "生産管理のデジタル化", "医療機器分野への参入", "航空機分野への参入", "海外への販路開拓",
    "脱炭素に向けた省エネルギー化", "技能継承と人材確保", "事業承継", "新製品の試作と性能評価", "製品のEMC対策", "製品の信頼性評価",
    "軽量化のための新素材の採用", "IoTによる設備の予知保全", "賞味期限の延長", "自社製品のデザイン改善", "設備投資の資金調達",
    "特許の取得", "取引先の多様化（下請からの脱却）",
)
_TECH_TEMPLATES = (
    "{p1}と{p2}を主力とする。主な{label}は{m1}・{m2}。{f1}。",
    "{p1}を中心に、{p2}まで社内で一貫対応。主な{label}は{m1}、{m2}。{f1}。{f2}。",
    "主な技術は{p1}、{p2}、{p3}。{f1}。",
    "{p1}が得意（{label}: {m1}、{m2}）。{f1}。{f2}。",
)
_GENERAL_CERTS = ("ISO 9001", "ISO 14001", "エコアクション21", "経営革新計画の承認", "健康経営優良法人")
_STEMS = (
    "青葉:あおば 朝凪:あさなぎ 東雲:しののめ 北斗:ほくと 銀河:ぎんが 若潮:わかしお 白鷺:しらさぎ 翠嶺:すいれい 大樹:たいじゅ "
    "星見:ほしみ 千草:ちぐさ 陽光:ようこう 紅葉:もみじ 雲雀:ひばり 楓:かえで 柊:ひいらぎ 暁:あかつき 八雲:やくも 瑞穂:みずほ "
    "常磐:ときわ 浜風:はまかぜ 月影:つきかげ 花菱:はなびし 鶴丘:つるおか 桜庭:さくらば 松風:まつかぜ 若竹:わかたけ 光陽:こうよう "
    "新緑:しんりょく 晴海:はるみ 朝霧:あさぎり 丸星:まるぼし 山二:やまに 一光:いっこう 三和田:みわだ 大沢:おおさわ 小宮山:こみやま "
    "菊川:きくかわ 早瀬:はやせ 柳田:やなぎだ 水野谷:みずのや 岩舘:いわだて 堀之内:ほりのうち 戸倉:とくら 結城野:ゆうきの "
    "アルファ:あるふぁ ネクスト:ねくすと サンライズ:さんらいず テクノ:てくの ミライ:みらい エコー:えこー プライム:ぷらいむ "
    "クレスト:くれすと ルミナ:るみな ソレイユ:それいゆ アステル:あすてる リベラ:りべら ノヴァ:のゔぁ オリオン:おりおん"
)
_FORMS = (("株式会社", True, 55), ("株式会社", False, 20), ("有限会社", True, 15), ("合同会社", False, 5), ("合資会社", True, 5))
_TOWNS = (
    "本町 中央 栄町 緑町 旭町 幸町 港町 新町 東町 西町 南町 北町 大町 若葉町 日の出町 桜町 松葉町 "
    "工業団地 第二工業団地 流通団地 駅前 元町 宮前 泉町 春日 平和台 みどり台 青葉台 高田 中野"
).split()
_FAMILY = (
    "佐藤:さとう 鈴木:すずき 高橋:たかはし 田中:たなか 伊藤:いとう 渡辺:わたなべ 山本:やまもと 中村:なかむら 小林:こばやし "
    "加藤:かとう 吉田:よしだ 山田:やまだ 佐々木:ささき 山口:やまぐち 松本:まつもと 井上:いのうえ 木村:きむら 林:はやし "
    "斎藤:さいとう 清水:しみず 阿部:あべ 石川:いしかわ 森:もり 池田:いけだ 橋本:はしもと 遠藤:えんどう 菅原:すがわら 大野:おおの"
)
_GIVEN = (
    "大輔:だいすけ 健太:けんた 翔太:しょうた 直人:なおと 誠:まこと 浩二:こうじ 隆:たかし 剛:つよし 和也:かずや 拓也:たくや "
    "陽子:ようこ 恵美:えみ 由美:ゆみ 美香:みか 麻衣:まい 彩:あや 千尋:ちひろ 智子:ともこ 裕子:ゆうこ 真由美:まゆみ"
)
# fmt: on
_DEPARTMENTS = ("技術部", "製造部", "総務部", "営業部", "品質保証部", "開発部", "経営企画室")
_TITLES = ("代表取締役", "取締役工場長", "部長", "課長", "係長", "主任", "")


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    return tuple((w.split(":")[0], w.split(":")[1]) for w in text.split())


_STEM_PAIRS = _pairs(_STEMS)
_FAMILY_PAIRS = _pairs(_FAMILY)
_GIVEN_PAIRS = _pairs(_GIVEN)
_FORM_CUM = list(accumulate(w for _, _, w in _FORMS))


@functools.cache
def _trades() -> tuple[tuple[Trade, ...], list[float]]:
    """The trades, with codes restricted to 細分類 that exist in the shipped JSIC, and cumulative weights."""
    existing = {r["code"] for r in read_industry_classes() if r["level"] == 4}
    trades = []
    for trade in TRADES:
        codes = tuple(c for c in trade.codes if c in existing)
        if codes:
            trades.append(dataclasses.replace(trade, codes=codes))
    return tuple(trades), list(accumulate(t.weight for t in trades))


@functools.cache
def _municipalities(prefecture_code: str) -> tuple[tuple[str, ...], list[float]]:
    """Municipality codes of a prefecture (wards instead of their designated city), weighted 市区 3 : 町 1 : 村 0.3."""
    rows = [r for r in read_municipalities() if r["prefecture_id"] == prefecture_code]
    names = [r["name"] for r in rows]
    codes, weights = [], []
    for r in rows:
        if any(other != r["name"] and other.startswith(r["name"]) for other in names):
            continue  # 政令指定都市: its wards are listed
        codes.append(r["code"])
        weights.append(3.0 if r["name"][-1] in "市区" else 1.0 if r["name"][-1] == "町" else 0.3)
    if not codes:
        raise ValueError(f"都道府県コード「{prefecture_code}」の市区町村がありません。")
    return tuple(codes), list(accumulate(weights))


class _Draw:
    """Fast draws from one ``random.Random`` (``choice``/``sample``/``randint`` are several times slower)."""

    __slots__ = ("random",)

    def __init__(self, rng: random.Random) -> None:
        self.random = rng.random

    def one(self, seq: Sequence[Any]) -> Any:
        return seq[int(self.random() * len(seq))]

    def two(self, seq: Sequence[Any]) -> tuple[Any, Any]:
        n = len(seq)
        i, j = int(self.random() * n), int(self.random() * (n - 1))
        return seq[i], seq[j + (j >= i)]

    def three(self, seq: Sequence[Any]) -> tuple[Any, Any, Any]:
        n = len(seq)
        i, j = int(self.random() * n), int(self.random() * (n - 1))
        j += j >= i
        lo, hi = (i, j) if i < j else (j, i)
        k = int(self.random() * (n - 2))
        k += k >= lo
        k += k >= hi
        return seq[i], seq[j], seq[k]

    def between(self, low: int, high: int) -> int:
        return low + int(self.random() * (high - low + 1))

    def weighted(self, items: Sequence[Any], cum: list[float]) -> Any:
        return items[bisect.bisect(cum, self.random() * cum[-1])]

    def year(self, low: int = 1925, high: int = 2023, mode: int = 1975) -> int:
        """A founding year from a triangular distribution (most firms date from the 1960s–1990s)."""
        u, span = self.random(), high - low
        if u < (mode - low) / span:
            return int(low + math.sqrt(u * span * (mode - low)))
        return int(high - math.sqrt((1 - u) * span * (high - mode)))


_MONTH_DAYS = tuple(f"{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 29))


def _address(town: str, x: int) -> str:
    """町名 + 丁目-番-号 from one draw x in [0, 3000): 1–5 丁目, 1–30 番, 1–20 号."""
    return f"{town}{x % 5 + 1}-{x // 5 % 30 + 1}-{x // 150 + 1}"


_SMALL_CAPITAL = (3_000_000, 5_000_000, 5_000_000, 10_000_000, 10_000_000, 20_000_000)
_SME_CAPITAL = (10_000_000, 20_000_000, 30_000_000, 48_000_000, 50_000_000, 80_000_000, 99_000_000, 100_000_000,
                200_000_000, 300_000_000)  # fmt: skip
_LARGE_CAPITAL = (350_000_000, 500_000_000, 1_000_000_000, 3_000_000_000, 10_000_000_000)


def _size(draw: _Draw) -> tuple[int | None, int | None]:
    """(capital, employees): mostly SMEs, many 小規模, a few large; now and then one is unknown."""
    r = draw.random()
    if r < 0.42:
        employees, capital = draw.between(1, 20), draw.one(_SMALL_CAPITAL)
    elif r < 0.95:
        employees, capital = int(21 * (300 / 21) ** draw.random()), draw.one(_SME_CAPITAL)
    else:
        employees, capital = draw.between(301, 3_000), draw.one(_LARGE_CAPITAL)
    roll = draw.random()
    return (None if roll < 0.01 else capital), (None if 0.01 <= roll < 0.03 else employees)


def iter_company_rows(n: int, *, seed: int, region_prefecture_code: str) -> Iterator[dict[str, Any]]:
    """Yield ``n`` fictitious companies of the prefecture, deterministically for ``seed``."""
    if n > _SPACE:
        raise ValueError("生成できるのは 10¹² 社までです。")
    rng = random.Random(f"renkei-demo:{seed}:{region_prefecture_code}")
    draw = _Draw(rng)
    r = draw.random
    trades, trade_cum = _trades()
    municipalities, municipality_cum = _municipalities(region_prefecture_code)
    # An affine permutation of the 12-digit space: i ↦ (a·i + b) mod 10¹² is one-to-one when gcd(a, 10) = 1.
    a = rng.randrange(10**11, _SPACE) | 1
    while a % 5 == 0:
        a += 2
    b = rng.randrange(_SPACE)
    for i in range(n):
        trade: Trade = draw.weighted(trades, trade_cum)
        stem, stem_kana = draw.one(_STEM_PAIRS)
        suffix, suffix_kana = draw.one(trade.suffixes)
        form, before, _ = draw.weighted(_FORMS, _FORM_CUM)
        p1, p2, p3 = draw.three(trade.processes)
        m1, m2 = draw.two(trade.materials)
        f1, f2 = draw.two(_FEATURES)
        technologies = draw.one(_TECH_TEMPLATES).format(
            p1=p1, p2=p2, p3=p3, m1=m1, m2=m2, f1=f1, f2=f2, label=trade.material_label
        )
        if r() < 0.4:
            technologies += f"今後の課題は{draw.one(_NEEDS)}。"
        products = "、".join(draw.three(trade.products) if r() < 0.5 else draw.two(trade.products))
        if r() < 0.6:
            products += f"（{draw.one(trade.markets)}向け）"
        certifications = [c for c in _GENERAL_CERTS[:2] if r() < 0.3]
        if trade.certifications and r() < 0.25:
            certifications.append(draw.one(trade.certifications))
        if r() < 0.08:
            certifications.append(draw.one(_GENERAL_CERTS[2:]))
        capital, employees = _size(draw)
        consent_region = r() < 0.8
        name = f"{form}{stem}{suffix}" if before else f"{stem}{suffix}{form}"
        yield {
            "corporate_number": corporate_number((a * i + b) % _SPACE),
            "name": name + FICTION_MARK,
            "kana": stem_kana + suffix_kana,
            "jsic_code": draw.one(trade.codes),
            "capital": capital,
            "employees": employees,
            "founded_on": f"{draw.year()}-{draw.one(_MONTH_DAYS)}",
            "postal_code": "",
            "municipality_code": draw.weighted(municipalities, municipality_cum),
            "address": _address(draw.one(_TOWNS), int(r() * 3000)),
            "technologies": technologies,
            "products": products,
            "certifications": "、".join(dict.fromkeys(certifications)),
            "consent_share_region": consent_region,
            "consent_share_outside": consent_region and r() < 0.35,
        }


def generate_company_rows(n: int, *, seed: int, region_prefecture_code: str) -> list[dict[str, Any]]:
    """``n`` fictitious companies as plain dicts keyed like the company validator (see the module docstring)."""
    return list(iter_company_rows(n, seed=seed, region_prefecture_code=region_prefecture_code))


def fictitious_contacts(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """``count`` fictitious contact persons (the first is the primary contact); no e-mail or phone is invented."""
    out = []
    for k in range(count):
        family, family_kana = rng.choice(_FAMILY_PAIRS)
        given, given_kana = rng.choice(_GIVEN_PAIRS)
        out.append(
            {
                "name": f"{family} {given}",
                "kana": f"{family_kana} {given_kana}",
                "department": rng.choice(_DEPARTMENTS),
                "title": rng.choice(_TITLES),
                "is_primary": k == 0,
            }
        )
    return out
