"""Name pools and the spelling variants real systems produce for the same entity.

The identity-resolution models must cope with the same company or person spelled
differently in each system; these helpers produce those variants from one canonical
value, deterministically from the caller's random generator.
"""

from __future__ import annotations

import numpy as np

JP_COMPANY_STEMS = [
    "サクラ技研",
    "ミドリ商事",
    "アオイ製作所",
    "ヤマト物流",
    "ヒカリ電機",
    "フジ精工",
    "ツバサ情報",
    "カエデ化学",
    "ホシノ食品",
    "ミナト建設",
    "アサヒ工業",
    "ハヤテ通信",
    "コスモ医療",
    "ナギサ薬品",
    "タカラ不動産",
    "イロハ出版",
    "ミライ金融",
    "スバル設計",
    "シズク物産",
    "ハルカ製薬",
    "東都システム",
    "北斗工業",
    "大和精機",
    "日向電子",
    "城南ソフト",
    "関東データ",
    "中央ロジ",
    "西海マテリアル",
    "朝霧エンジニアリング",
    "白鷺テクノ",
    "青葉システムズ",
    "若葉ネット",
    "三葉商会",
    "高砂機械",
    "丸紅テック",
    "葵データサービス",
    "瑞穂ソリューションズ",
    "蓬莱化成",
    "千代田インフォ",
    "紀伊メディカル",
]
JP_COMPANY_ROMAJI = [
    "sakura-giken",
    "midori-shoji",
    "aoi-ss",
    "yamato-logi",
    "hikari-denki",
    "fuji-seiko",
    "tsubasa-info",
    "kaede-chem",
    "hoshino-foods",
    "minato-kensetsu",
    "asahi-kogyo",
    "hayate-tsushin",
    "cosmo-iryo",
    "nagisa-yakuhin",
    "takara-re",
    "iroha-pub",
    "mirai-fin",
    "subaru-sekkei",
    "shizuku-bussan",
    "haruka-pharma",
    "toto-sys",
    "hokuto-kogyo",
    "yamato-seiki",
    "hyuga-denshi",
    "jonan-soft",
    "kanto-data",
    "chuo-logi",
    "saikai-mat",
    "asagiri-eng",
    "shirasagi-tech",
    "aoba-sys",
    "wakaba-net",
    "mitsuba-shokai",
    "takasago-kikai",
    "marubeni-tech",
    "aoi-data",
    "mizuho-sol",
    "horai-kasei",
    "chiyoda-info",
    "kii-medical",
]
EN_COMPANY_STEMS = [
    "Acme Analytics",
    "Northwind Systems",
    "Bluepeak Software",
    "Cobalt Robotics",
    "Evergreen Health",
    "Granite Logistics",
    "Helios Energy",
    "Ironclad Security",
    "Juniper Retail",
    "Keystone Finance",
    "Lumen Media",
    "Meridian Foods",
    "Nimbus Cloud",
    "Orion Devices",
    "Pioneer Biotech",
    "Quantum Fabrication",
    "Redwood Insurance",
    "Summit Telecom",
    "Tidal Marine",
    "Vertex Motors",
]
EN_LEGAL = ["Inc.", "Corporation", "LLC", "Co., Ltd."]

JP_LAST = [
    ("佐藤", "sato"),
    ("鈴木", "suzuki"),
    ("高橋", "takahashi"),
    ("田中", "tanaka"),
    ("伊藤", "ito"),
    ("渡辺", "watanabe"),
    ("山本", "yamamoto"),
    ("中村", "nakamura"),
    ("小林", "kobayashi"),
    ("加藤", "kato"),
    ("吉田", "yoshida"),
    ("山田", "yamada"),
    ("佐々木", "sasaki"),
    ("山口", "yamaguchi"),
    ("松本", "matsumoto"),
    ("井上", "inoue"),
    ("木村", "kimura"),
    ("林", "hayashi"),
    ("清水", "shimizu"),
    ("森", "mori"),
]
JP_FIRST = [
    ("太郎", "taro"),
    ("花子", "hanako"),
    ("健太", "kenta"),
    ("美咲", "misaki"),
    ("翔太", "shota"),
    ("陽菜", "hina"),
    ("大輔", "daisuke"),
    ("由美", "yumi"),
    ("拓也", "takuya"),
    ("彩", "aya"),
    ("直樹", "naoki"),
    ("恵", "megumi"),
    ("誠", "makoto"),
    ("舞", "mai"),
    ("亮", "ryo"),
    ("優子", "yuko"),
    ("修", "osamu"),
    ("真由美", "mayumi"),
    ("浩", "hiroshi"),
    ("結衣", "yui"),
]
EN_FIRST = [
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Susan",
    "Daniel",
    "Karen",
    "Emily",
    "Chris",
    "Sarah",
    "Kevin",
]
EN_LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Martin",
    "Clark",
    "Lewis",
]

INDUSTRIES = [
    "Manufacturing",
    "Technology",
    "Financial Services",
    "Healthcare",
    "Retail",
    "Logistics",
    "Construction",
    "Media",
]
JP_TITLES = ["部長", "課長", "係長", "主任", "担当", "マネージャー", "取締役", "執行役員"]
EN_TITLES = [
    "VP Marketing",
    "Marketing Manager",
    "Director of Sales",
    "RevOps Manager",
    "CFO",
    "IT Manager",
    "Analyst",
    "Head of Growth",
]
JP_DEPARTMENTS = ["マーケティング部", "営業部", "情報システム部", "経営企画部", "開発部"]
EN_DEPARTMENTS = ["Marketing", "Sales", "IT", "Finance", "Operations"]
FREE_MAIL = ["gmail.com", "yahoo.co.jp", "outlook.com", "icloud.com"]

_FULLWIDTH = {
    c: chr(ord(c) + 0xFEE0)
    for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
}


def to_fullwidth(text: str) -> str:
    """Full-width ASCII letters/digits, as typed by many Japanese IMEs (ＡＢＣ１２３)."""
    return "".join(_FULLWIDTH.get(c, c) for c in text)


def jp_company_variant(stem: str, kind: int) -> str:
    """One of the legal-form spellings of a Japanese kabushiki kaisha."""
    return [
        f"株式会社{stem}",
        f"(株){stem}",
        f"㈱{stem}",
        f"{stem}株式会社",
        f"（株）{stem}",
        f"株式会社 {stem}",
    ][kind % 6]


def en_company_variant(stem: str, legal: str, kind: int) -> str:
    """English legal-form spellings: "Inc." vs "Inc" vs upper case vs full-width."""
    base_legal = legal.rstrip(".")
    options = [
        f"{stem} {legal}",
        f"{stem} {base_legal}",
        f"{stem}, {legal}",
        f"{stem.upper()} {legal.upper()}",
        to_fullwidth(f"{stem} {legal}"),
        stem,
    ]
    if legal.startswith("Inc"):
        options[5] = f"{stem} Corporation"
    return options[kind % 6]


def phone_variant(digits: str, kind: int) -> str:
    """Format a Japanese national number (e.g. 0312345678) three ways."""
    area, mid, last = digits[:2], digits[2:6], digits[6:]
    if kind % 4 == 0:
        return f"{area}-{mid}-{last}"
    if kind % 4 == 1:
        return digits
    if kind % 4 == 2:
        return f"+81 {area[1:]} {mid} {last}"
    return to_fullwidth(f"{area}-{mid}-{last}")


def us_phone_variant(digits: str, kind: int) -> str:
    """Format a US number (10 digits) the ways CRMs and forms do."""
    if kind % 3 == 0:
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    if kind % 3 == 1:
        return f"+1 {digits[:3]}-{digits[3:6]}-{digits[6:]}"
    return digits


def email_variant(email: str, kind: int) -> str:
    """Case/whitespace noise around the same address (what a form or import keeps)."""
    if kind % 4 == 0:
        return email
    if kind % 4 == 1:
        local, domain = email.split("@")
        return f"{local.title()}@{domain.title()}"
    if kind % 4 == 2:
        return f" {email.upper()} "
    return f"{email} "


def corporate_number(rng: np.random.Generator, n: int) -> list[str]:
    """Japanese corporate numbers (法人番号): a check digit then 12 base digits.

    Check digit = 9 - (sum(P_n * Q_n) mod 9), Q_n = 1 for odd n, 2 for even n, n counted
    from the right-most base digit, as the National Tax Agency specifies.
    """
    base = rng.integers(0, 10, size=(n, 12))
    weights = np.array([1 if (12 - i) % 2 == 1 else 2 for i in range(12)])
    check = 9 - (base * weights).sum(axis=1) % 9
    return [f"{c}{''.join(map(str, row))}" for c, row in zip(check, base, strict=True)]
