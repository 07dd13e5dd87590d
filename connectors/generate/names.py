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
# Mail of Internet providers and mobile carriers: personal addresses like free-mail, but
# under provider domains (often with a per-customer or regional sub-domain) that a
# free-mail list matched exactly does not know.
ISP_MAIL = [
    "{sub}.so-net.ne.jp",
    "ybb.ne.jp",
    "docomo.ne.jp",
    "ezweb.ne.jp",
    "i.softbank.jp",
    "{sub}.ocn.ne.jp",
    "{sub}.plala.or.jp",
    "{sub}.eonet.ne.jp",
    "jcom.zaq.ne.jp",
    "nifty.com",
    "au.com",
    "{sub}.biglobe.ne.jp",
    "ymobile.ne.jp",
    "{sub}.dion.ne.jp",
]
# Job titles whose words contain a rule keyword as a substring ("coo" in Coordinator, "it"
# in Quality / Editor / Auditor): a fit rule must match words, not letters.
TRAP_TITLES = [
    "Quality Coordinator",
    "Hospitality Coordinator",
    "Facilities Coordinator",
    "Editor",
    "Auditor",
    "Recruiter",
    "Coordinator in Quality",
]
AGENCY_STEMS_JP = ["アドウェーブ", "プロモリンク", "クリエイトブリッジ", "ネクストリーチ"]
AGENCY_STEMS_EN = ["Brightline Media", "Northstar Demand", "Pixelpath Digital"]
AGENCY_ROMAJI = ["adwave", "promolink", "createbridge", "nextreach"]
SUBSIDIARY_SUFFIX_JP = ["ソリューションズ", "テクノサービス", "ロジスティクス", "ビジネスサポート"]
SUBSIDIARY_SUFFIX_EN = [" Solutions", " Services", " Japan"]
LOOKALIKE_PLACES = ["osaka", "nagoya", "fukuoka", "sapporo", "sendai", "kobe"]
JP_LEGAL_FORMS = {"kk": "株式会社", "yk": "有限会社", "gk": "合同会社"}

_FULLWIDTH = {
    c: chr(ord(c) + 0xFEE0)
    for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
}


def to_fullwidth(text: str) -> str:
    """Full-width ASCII letters/digits, as typed by many Japanese IMEs (ＡＢＣ１２３)."""
    return "".join(_FULLWIDTH.get(c, c) for c in text)


_HALFWIDTH_KANA = dict(
    zip(
        "ァアィイゥウェエォオカキクケコサシスセソタチッツテトナニヌネノハヒフヘホマミムメモャヤュユョヨラリルレロワヲンー",
        "ｧｱｨｲｩｳｪｴｫｵｶｷｸｹｺｻｼｽｾｿﾀﾁｯﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓｬﾔｭﾕｮﾖﾗﾘﾙﾚﾛﾜｦﾝｰ",
        strict=True,
    )
)
_VOICED = dict(
    zip(
        "ガギグゲゴザジズゼゾダヂヅデドバビブベボ",
        "カキクケコサシスセソタチツテトハヒフヘホ",
        strict=True,
    )
)
_SEMI_VOICED = dict(zip("パピプペポ", "ハヒフヘホ", strict=True))


def to_halfwidth_kana(text: str) -> str:
    """Half-width katakana (ｻｸﾗ), as bank-transfer names and old systems write them;
    kanji and other characters are kept."""
    out = []
    for ch in text:
        if ch in _VOICED:
            out.append(_HALFWIDTH_KANA[_VOICED[ch]] + "ﾞ")
        elif ch in _SEMI_VOICED:
            out.append(_HALFWIDTH_KANA[_SEMI_VOICED[ch]] + "ﾟ")
        else:
            out.append(_HALFWIDTH_KANA.get(ch, ch))
    return "".join(out)


# the half-width kana abbreviations of the legal forms (bank-transfer style)
_HALFWIDTH_FORM = {"kk": "ｶ)", "yk": "ﾕ)", "gk": "ﾄﾞ)"}
_ABBREVIATED_FORM = {"kk": "株", "yk": "有", "gk": "同"}
_ENCLOSED_FORM = {"kk": "㈱", "yk": "㈲", "gk": "(同)"}


def jp_company_variant(stem: str, kind: int, form: str = "kk", style: str = "") -> str:
    """One of the legal-form spellings of a Japanese company (株式会社 by default).

    ``style`` is the company's habit in one of its spellings: ``square`` writes the
    one-character ㍿ sign, ``kana`` the half-width bank-transfer form ｶ)ｻｸﾗ技研 (both in
    place of the first variant, so the number of variants stays the same).
    """
    full = JP_LEGAL_FORMS[form]
    abbr = _ABBREVIATED_FORM[form]
    if kind % 6 == 0 and style == "square" and form == "kk":
        return f"㍿{stem}"
    if kind % 6 == 0 and style == "kana":
        return f"{_HALFWIDTH_FORM[form]}{to_halfwidth_kana(stem)}"
    return [
        f"{full}{stem}",
        f"({abbr}){stem}",
        f"{_ENCLOSED_FORM[form]}{stem}",
        f"{stem}{full}",
        f"（{abbr}）{stem}",
        f"{full} {stem}",
    ][kind % 6]


def company_variant(company: dict, kind: int) -> str:
    """The spelling of a company (a row of World.companies as a dict) a source writes."""
    if company["is_jp"]:
        return jp_company_variant(
            company["stem"], kind, company["legal_form"], company["spelling_style"]
        )
    return en_company_variant(company["stem"], company["legal"], kind)


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
    """Format a US number (10 digits) the ways CRMs and forms do (with the trunk 1 too)."""
    if kind % 3 == 0:
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    if kind % 3 == 1:
        return f"+1 {digits[:3]}-{digits[3:6]}-{digits[6:]}"
    return f"1-{digits[:3]}-{digits[3:6]}-{digits[6:]}"


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
