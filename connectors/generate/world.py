"""The one simulated world every source is rendered from.

Companies, people, their marketing touches and their funnel outcomes are drawn once here;
the per-source writers only *render* this world, so Marketo, Salesforce, GA4 and the ad
platforms agree the way real systems do (same people, same moments, different spellings).
Channel effects on conversion are fixed, known log-odds (see ``CHANNEL_EFFECTS``) so that
data-driven attribution has a true signal to find.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from connectors.generate import names

DAY = 86_400
WORLD_DAYS = 730  # two years of history, ending on the world's end date
# The end date the tests and the published benchmarks pin; the CLI's default is yesterday (UTC).
REFERENCE_END_DATE = dt.date(2026, 10, 31)
HOUR = 3_600
MINUTE = 60

SCALES: dict[str, dict[str, int]] = {
    "small": {"companies": 300, "people": 2_000, "anon_cookies": 6_000},
    "medium": {"companies": 2_000, "people": 15_000, "anon_cookies": 80_000},
    "large": {"companies": 10_000, "people": 80_000, "anon_cookies": 1_000_000},
}
# "small-3x": three times small's companies, people and anonymous cookies over the same two
# years, for growth series (1x / 3x / 10x) between the fixed sizes.
SCALE_FACTOR = re.compile(r"^(?P<base>[a-z]+)-(?P<factor>[1-9][0-9]*)x$")


def scale_config(scale: str) -> dict[str, int]:
    """The sizes of ``scale``: a name of SCALES, or ``<name>-<k>x`` for k times that name.

    Only the populations grow; the window (730 days), the campaigns and every rate stay the
    same, so a k-times world has about k times the rows of every source.
    """
    if scale in SCALES:
        return SCALES[scale]
    m = SCALE_FACTOR.match(scale)
    if m is None or m["base"] not in SCALES:
        raise ValueError(
            f"unknown scale {scale!r}: choose one of {sorted(SCALES)}, "
            "or '<scale>-<k>x' (e.g. small-3x)"
        )
    k = int(m["factor"])
    return {key: n * k for key, n in SCALES[m["base"]].items()}


FORMS = ["contact_us", "demo_request", "whitepaper_download", "pricing_inquiry"]
FORM_NAMES = {
    "contact_us": "Contact Us",
    "demo_request": "Demo Request",
    "whitepaper_download": "Whitepaper Download",
    "pricing_inquiry": "Pricing Inquiry",
    "webinar_registration": "Webinar Registration",
}
FORM_PAGES = {
    "contact_us": "/contact",
    "demo_request": "/demo",
    "whitepaper_download": "/whitepaper/revops-playbook",
    "pricing_inquiry": "/pricing",
    "webinar_registration": "/webinar",
}
CHANNELS = [
    "paid_search",
    "display",
    "paid_social",
    "organic_search",
    "email",
    "referral",
    "direct",
    "webinar",
    "content",
]
# The warehouse channel (seed channel_mapping) each world channel is rendered as.
WAREHOUSE_CHANNEL = {
    "paid_search": "Paid Search",
    "display": "Display",
    "paid_social": "Paid Social",
    "organic_search": "Organic Search",
    "email": "Email",
    "referral": "Referral",
    "direct": "Direct",
    "webinar": "Webinar",
    "content": "Content",
}
# True log-odds effects of having touched a channel before the decision, per funnel stage.
# stage "lead": visitor -> lead (a touch of a visitor who becomes a lead is drawn from
# ANON_MIX tilted by exp(lead effect), so the effect is the log odds ratio of a touch being
# on a lead's journey rather than an anonymous one, up to a constant: see PRE_LEAD_MIX);
# "mql": lead -> MQL; "opportunity": SAL -> opportunity; "won": opportunity -> won.
# The stages differ on purpose, so attribution must find stage-specific lifts: webinar,
# paid search and organic search create pipeline (mql + opportunity, the conversion type
# opportunity_created), referral and paid social win deals (won, closed_won); display,
# e-mail and direct do nothing for either. Leads come from referral, then paid search,
# then organic search; display and paid social bring visitors who rarely sign up.
BASE_LOGIT = {"mql": -1.6, "opportunity": -1.2, "won": -0.6}
CHANNEL_EFFECTS: dict[str, dict[str, float]] = {
    "webinar": {"lead": 0.0, "mql": 1.5, "opportunity": 1.5, "won": 0.0},
    "paid_search": {"lead": 0.7, "mql": 0.5, "opportunity": 0.9, "won": 0.0},
    "organic_search": {"lead": 0.3, "mql": 0.4, "opportunity": 0.3, "won": 0.0},
    "referral": {"lead": 1.2, "mql": 0.1, "opportunity": 0.0, "won": 2.0},
    "paid_social": {"lead": -0.4, "mql": 0.0, "opportunity": 0.0, "won": 0.9},
    "content": {"lead": 0.3, "mql": 0.2, "opportunity": 0.2, "won": 0.0},
    "display": {"lead": -0.8, "mql": 0.0, "opportunity": 0.0, "won": 0.0},
    "email": {"lead": 0.0, "mql": 0.0, "opportunity": 0.0, "won": 0.0},
    "direct": {"lead": 0.0, "mql": 0.0, "opportunity": 0.0, "won": 0.0},
}
# Which attribution conversion type a stage's effect shows up in.
STAGE_CONVERSION = {
    "lead": "lead_created",
    "mql": "opportunity_created",
    "opportunity": "opportunity_created",
    "won": "closed_won",
}
# A sequence effect for one segment: mid-market people (100-999 employees) on the scripted
# "search ad -> comparison article -> webinar" journey (the domain's example) convert to an
# opportunity far more often than those who meet the same three channels in another order
# (comparison article -> search ad -> webinar): +log_odds at each of `stages` (lead -> MQL
# and SAL -> opportunity). `share` of the segment's marketing people
# walk one of the two scripted journeys (half each); nothing else touches them.
SEQUENCE_EFFECT = {
    "segment": "Mid-Market",  # a segment of seed segments
    "min_employees": 100,
    "max_employees": 999,
    "stages": ("mql", "opportunity"),
    "planted": ["paid_search", "content", "webinar"],
    "reversed": ["content", "paid_search", "webinar"],
    "log_odds": 3.0,
    "share": 0.25,
    "ad_campaign_id": "20001003",  # Competitor Compare
}
CONTENT_CAMPAIGN = "utm:comparison_article"
# Share of web touches by channel after the person is known.
POST_LEAD_MIX = {
    "email": 0.40,
    "direct": 0.22,
    "organic_search": 0.14,
    "paid_search": 0.10,
    "display": 0.07,
    "paid_social": 0.07,
}
ANON_MIX = {
    "paid_search": 0.2,
    "display": 0.18,
    "paid_social": 0.17,
    "organic_search": 0.23,
    "referral": 0.06,
    "direct": 0.13,
    "content": 0.03,
}
# Touches of visitors who become leads: the anonymous mix tilted by the lead-stage effects.
_TILTED = {c: share * float(np.exp(CHANNEL_EFFECTS[c]["lead"])) for c, share in ANON_MIX.items()}
PRE_LEAD_MIX = {c: w / sum(_TILTED.values()) for c, w in _TILTED.items()}


@dataclass(frozen=True)
class AdCampaign:
    """One ad campaign on one platform account (ids are the platform's own)."""

    platform: str  # google_ads | meta_ads | linkedin_ads
    channel: str
    account_id: str
    currency: str
    campaign_id: str
    name: str
    channel_type: str  # Google: SEARCH/DISPLAY; others: SOCIAL
    cpc: float  # cost per click in account currency
    ctr: float
    utm_campaign: str


AD_CAMPAIGNS = [
    AdCampaign(
        "google_ads",
        "paid_search",
        "1234567890",
        "JPY",
        "20001001",
        "Brand Search",
        "SEARCH",
        180.0,
        0.09,
        "brand_search",
    ),
    AdCampaign(
        "google_ads",
        "paid_search",
        "1234567890",
        "JPY",
        "20001002",
        "Generic - RevOps",
        "SEARCH",
        620.0,
        0.035,
        "generic_revops",
    ),
    AdCampaign(
        "google_ads",
        "paid_search",
        "1234567890",
        "JPY",
        "20001003",
        "Competitor Compare",
        "SEARCH",
        850.0,
        0.03,
        "competitor_compare",
    ),
    AdCampaign(
        "google_ads",
        "display",
        "1234567890",
        "JPY",
        "20001004",
        "Display Remarketing",
        "DISPLAY",
        90.0,
        0.004,
        "display_remarketing",
    ),
    AdCampaign(
        "google_ads",
        "display",
        "1234567890",
        "JPY",
        "20001005",
        "Display Prospecting",
        "DISPLAY",
        60.0,
        0.002,
        "display_prospecting",
    ),
    AdCampaign(
        "meta_ads",
        "paid_social",
        "act_101112131415",
        "USD",
        "23850000000000001",
        "Lead Gen - Whitepaper",
        "SOCIAL",
        2.4,
        0.011,
        "meta_whitepaper",
    ),
    AdCampaign(
        "meta_ads",
        "paid_social",
        "act_101112131415",
        "USD",
        "23850000000000002",
        "Retargeting",
        "SOCIAL",
        1.6,
        0.014,
        "meta_retargeting",
    ),
    AdCampaign(
        "meta_ads",
        "paid_social",
        "act_202122232425",
        "JPY",
        "23850000000000003",
        "JP Awareness",
        "SOCIAL",
        210.0,
        0.008,
        "meta_jp_awareness",
    ),
    AdCampaign(
        "linkedin_ads",
        "paid_social",
        "508000001",
        "USD",
        "610000001",
        "ABM Enterprise",
        "SOCIAL",
        9.5,
        0.006,
        "li_abm_enterprise",
    ),
    AdCampaign(
        "linkedin_ads",
        "paid_social",
        "508000001",
        "USD",
        "610000002",
        "Webinar Promo",
        "SOCIAL",
        7.8,
        0.007,
        "li_webinar_promo",
    ),
]


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class World:
    """Everything the renderers need: entities, touches (web sessions) and outcomes.

    ``t0``/``t1`` (epoch seconds, UTC) bound the world: nothing happens before ``t0`` and
    ``t1`` is the as-of instant (the end date's last second), so files never hold the future.
    """

    scale: str
    seed: int
    t0: int
    t1: int
    companies: pd.DataFrame
    people: pd.DataFrame
    touches: pd.DataFrame  # one row per journey touch of a known person
    webinars: pd.DataFrame  # one row per monthly webinar
    newsletters: pd.DataFrame  # one row per monthly newsletter


def _pick(rng: np.random.Generator, mix: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(mix))
    p = np.array(list(mix.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def build_companies(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Companies: 80% Japanese, with corporate number, domain, main phone."""
    is_jp = rng.random(n) < 0.8
    stems, domains, phones = [], [], []
    legal = rng.choice(names.EN_LEGAL, size=n)
    for i in range(n):
        k = i // 1  # unique-ish stems by appending a number when the pool repeats
        if is_jp[i]:
            j = k % len(names.JP_COMPANY_STEMS)
            rep = k // len(names.JP_COMPANY_STEMS)
            stems.append(names.JP_COMPANY_STEMS[j] + (names.to_fullwidth(str(rep)) if rep else ""))
            slug = names.JP_COMPANY_ROMAJI[j] + (str(rep) if rep else "")
            domains.append(f"{slug}.co.jp")
        else:
            j = k % len(names.EN_COMPANY_STEMS)
            rep = k // len(names.EN_COMPANY_STEMS)
            stems.append(names.EN_COMPANY_STEMS[j] + (f" {rep}" if rep else ""))
            slug = names.EN_COMPANY_STEMS[j].lower().replace(" ", "") + (str(rep) if rep else "")
            domains.append(f"{slug}.com")
    area = rng.choice(["03", "06", "04", "05", "09"], size=n)
    nums = rng.integers(10_000_000, 99_999_999, size=n)
    us_nums = rng.integers(2_000_000_000, 9_999_999_999, size=n)
    for i in range(n):
        phones.append(f"{area[i]}{nums[i]}" if is_jp[i] else str(us_nums[i]))
    employees = np.round(np.exp(rng.normal(5.3, 1.4, size=n))).astype(int) + 5
    canonical = [
        f"株式会社{s}" if jp else f"{s} {lg}" for s, jp, lg in zip(stems, is_jp, legal, strict=True)
    ]
    corp = names.corporate_number(rng, n)
    companies = pd.DataFrame(
        {
            "company_idx": np.arange(n),
            "true_account_id": [f"TA{i + 1:06d}" for i in range(n)],
            "is_jp": is_jp,
            "stem": stems,
            "legal": legal,
            "name": canonical,
            "domain": domains,
            "phone": phones,
            "corporate_number": [c if jp else None for c, jp in zip(corp, is_jp, strict=True)],
            "industry": rng.choice(names.INDUSTRIES, size=n),
            "employees": employees,
            "annual_revenue": np.round(employees * rng.uniform(8e6, 3e7, size=n), -6),
            "country": np.where(is_jp, "Japan", "United States"),
            # companies with two departments: a share of them end up as two SF accounts
            "split_departments": rng.random(n) < 0.12,
        }
    )
    # a child stream: the world's other draws (people, journeys) stay what they were
    return _harder_companies(companies, rng.spawn(1)[0])


def _harder_companies(companies: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Turn a share of the companies into the cases that break naive name/domain/phone
    matching (each case's truth is in the columns it adds, written to accounts.csv):

    - look-alikes (6%): the same stem as another company, often another legal form
      (株式会社サクラ技研 vs 有限会社サクラ技研), with their own 法人番号, domain and phone;
    - group companies (5%): a subsidiary of another company that mails from the parent's
      domain (サクラ技研ソリューションズ @sakura-giken.co.jp), own 法人番号 and phone;
    - agencies (3%, at least 2): marketing agencies whose people fill forms in the name of
      a client (see build_people's ``form_company_idx``);
    - shared switchboards (10%): companies in one building answering one reception number.
    Spelling habits: 12% of the other Japanese companies write 株式会社 as ㍿ or in the
    half-width bank-transfer form ｶ)ｻｸﾗ技研 in one of their spellings.
    """
    df = companies.copy()
    n = len(df)
    df["legal_form"] = np.where(df["is_jp"], "kk", "")
    df["spelling_style"] = ""
    df["is_agency"] = False
    df["lookalike_of_idx"] = -1
    df["parent_company_idx"] = -1
    df["building_id"] = -1
    order = rng.permutation(np.arange(1, n)) if n > 1 else np.array([], dtype=int)
    k_look, k_sub, k_agency = int(0.06 * n), int(0.05 * n), max(int(0.03 * n), 2)
    k_building = int(0.10 * n)
    look = order[:k_look]
    sub = order[k_look : k_look + k_sub]
    agency = order[k_look + k_sub : k_look + k_sub + k_agency]
    building = order[k_look + k_sub + k_agency : k_look + k_sub + k_agency + k_building]
    plain = order[k_look + k_sub + k_agency + k_building :]
    if len(plain) == 0:
        return df
    domains = set(df["domain"])

    def unique_domain(base: str, tld: str) -> str:
        candidate, k = f"{base}{tld}", 2
        while candidate in domains:
            candidate, k = f"{base}{k}{tld}", k + 1
        domains.add(candidate)
        return candidate

    for i in look:
        src = int(plain[rng.integers(0, len(plain))])
        df.loc[i, ["is_jp", "stem", "country"]] = df.loc[src, ["is_jp", "stem", "country"]]
        df.loc[i, "lookalike_of_idx"] = src
        place = names.LOOKALIKE_PLACES[int(rng.integers(0, len(names.LOOKALIKE_PLACES)))]
        slug, tld = df.loc[src, "domain"].split(".", 1)
        df.loc[i, "domain"] = unique_domain(f"{slug}-{place}", "." + tld)
        if df.loc[src, "is_jp"]:
            df.loc[i, "legal_form"] = rng.choice(["yk", "kk", "gk"], p=[0.5, 0.35, 0.15])
        else:
            others = [lg for lg in names.EN_LEGAL if lg != df.loc[src, "legal"]]
            df.loc[i, "legal"] = others[int(rng.integers(0, len(others)))]
            df.loc[i, "legal_form"] = ""
    for i in sub:
        parent = int(plain[rng.integers(0, len(plain))])
        jp = bool(df.loc[parent, "is_jp"])
        suffixes = names.SUBSIDIARY_SUFFIX_JP if jp else names.SUBSIDIARY_SUFFIX_EN
        df.loc[i, "is_jp"] = jp
        df.loc[i, "country"] = df.loc[parent, "country"]
        df.loc[i, "stem"] = df.loc[parent, "stem"] + suffixes[int(rng.integers(0, len(suffixes)))]
        df.loc[i, "domain"] = df.loc[parent, "domain"]
        df.loc[i, "legal_form"] = "kk" if jp else ""
        df.loc[i, "parent_company_idx"] = parent
    for k, i in enumerate(agency):
        jp = bool(df.loc[i, "is_jp"])
        pool = names.AGENCY_STEMS_JP if jp else names.AGENCY_STEMS_EN
        rep = k // len(pool)
        stem = pool[k % len(pool)]
        df.loc[i, "stem"] = stem + (
            (names.to_fullwidth(str(rep)) if jp else f" {rep}") if rep else ""
        )
        slug = (
            names.AGENCY_ROMAJI[k % len(names.AGENCY_ROMAJI)]
            if jp
            else stem.lower().replace(" ", "")
        )
        df.loc[i, "domain"] = unique_domain(slug, ".co.jp" if jp else ".com")
        df.loc[i, "industry"] = "Advertising"
        df.loc[i, "is_agency"] = True
    # a company that changed country above gets that country's number formats
    is_jp = df["is_jp"].to_numpy(dtype=bool)
    no_number = is_jp & df["corporate_number"].isna().to_numpy()
    fresh = iter(names.corporate_number(rng, int(no_number.sum())))
    df["corporate_number"] = [
        (c if c is not None and c == c else next(fresh)) if jp else None
        for c, jp in zip(df["corporate_number"], is_jp, strict=True)
    ]
    for i in np.flatnonzero(is_jp != df["phone"].str.startswith("0").to_numpy()):
        df.loc[i, "phone"] = (
            f"03{int(rng.integers(10_000_000, 99_999_999))}"
            if is_jp[i]
            else str(int(rng.integers(2_000_000_000, 9_999_999_999)))
        )
    jp_building = [int(i) for i in building if df.loc[i, "is_jp"]]
    b = 0
    while len(jp_building) >= 2:
        size = min(int(rng.integers(3, 6)), len(jp_building))
        members, jp_building = jp_building[:size], jp_building[size:]
        df.loc[members, "phone"] = df.loc[members[0], "phone"]
        df.loc[members, "building_id"] = b
        b += 1
    styled = [int(i) for i in plain if df.loc[i, "is_jp"] and rng.random() < 0.12]
    for i in styled:
        df.loc[i, "spelling_style"] = "square" if rng.random() < 0.5 else "kana"
    df["name"] = [
        f"{names.JP_LEGAL_FORMS[form]}{stem}" if jp else f"{stem} {legal}"
        for stem, jp, legal, form in zip(
            df["stem"], df["is_jp"], df["legal"], df["legal_form"], strict=True
        )
    ]
    return df


def build_people(rng: np.random.Generator, companies: pd.DataFrame, n: int) -> pd.DataFrame:
    """People at the companies (bigger companies get more people)."""
    w = np.sqrt(companies["employees"].to_numpy(dtype=float))
    comp = rng.choice(len(companies), size=n, p=w / w.sum())
    comp.sort(kind="stable")
    is_jp = companies["is_jp"].to_numpy()[comp]
    li = rng.integers(0, len(names.JP_LAST), size=n)
    fi = rng.integers(0, len(names.JP_FIRST), size=n)
    eli = rng.integers(0, len(names.EN_LAST), size=n)
    efi = rng.integers(0, len(names.EN_FIRST), size=n)
    dept_idx = rng.integers(0, 2, size=n)
    free = rng.random(n) < 0.08
    free_dom = rng.choice(names.FREE_MAIL, size=n)
    dom = companies["domain"].to_numpy()[comp]
    cphone = companies["phone"].to_numpy()[comp]
    direct_line = rng.random(n) < 0.3
    ext = rng.integers(1000, 9999, size=n)
    title_j = rng.choice(names.JP_TITLES, size=n)
    title_e = rng.choice(names.EN_TITLES, size=n)
    dep_j = rng.choice(names.JP_DEPARTMENTS, size=n)
    dep_e = rng.choice(names.EN_DEPARTMENTS, size=n)
    rows = []
    for i in range(n):
        if is_jp[i]:
            last, last_r = names.JP_LAST[li[i]]
            first, first_r = names.JP_FIRST[fi[i]]
        else:
            last = last_r = names.EN_LAST[eli[i]]
            first = first_r = names.EN_FIRST[efi[i]]
            last_r, first_r = last.lower(), first.lower()
        local = f"{first_r}.{last_r}{i % 97 if i % 5 == 0 else ''}"
        email = f"{local}@{free_dom[i] if free[i] else dom[i]}"
        phone = cphone[i][:-4] + str(ext[i]) if direct_line[i] else cphone[i]
        rows.append(
            (
                first,
                last,
                first_r,
                last_r,
                email,
                phone,
                title_j[i] if is_jp[i] else title_e[i],
                dep_j[i] if is_jp[i] else dep_e[i],
            )
        )
    df = pd.DataFrame(
        rows,
        columns=[
            "first_name",
            "last_name",
            "first_romaji",
            "last_romaji",
            "email",
            "phone",
            "title",
            "department",
        ],
    )
    harder = rng.spawn(1)[0]  # a child stream: the journeys' draws stay what they were
    df, form_company, isp = _harder_people(df, companies, comp, is_jp, free, harder)
    # two different people never share an address: number the later namesakes
    dup = df.groupby("email", sort=False).cumcount().to_numpy()
    df["email"] = [
        e if k == 0 else e.replace("@", f"{k + 1}@") for e, k in zip(df["email"], dup, strict=True)
    ]
    df.insert(0, "true_person_id", [f"TP{i + 1:07d}" for i in range(n)])
    df.insert(0, "person_idx", np.arange(n))
    df["company_idx"] = comp
    df["is_jp"] = is_jp
    df["dept_split"] = companies["split_departments"].to_numpy()[comp] & (dept_idx == 1)
    df["is_freemail"] = free
    df["corporate_email"] = [
        f"{e.split('@')[0]}@{d}" for e, d in zip(df["email"], dom, strict=True)
    ]
    # 10% never touch marketing: buying-committee contacts sales creates by hand
    df["sales_only"] = rng.random(n) < 0.10
    df["form_company_idx"] = form_company
    df["is_isp_mail"] = isp
    return df


def _harder_people(
    df: pd.DataFrame,
    companies: pd.DataFrame,
    comp: np.ndarray,
    is_jp: np.ndarray,
    free: np.ndarray,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """People the way they really fill forms: 6% of the Japanese people who do not use
    free-mail write from their Internet provider's or carrier's mail (a personal address
    under a provider domain, often with a sub-domain: taro@ab3.so-net.ne.jp); 60% of agency
    people name a client company on forms (``form_company_idx``; they still work for the
    agency, which is their true account); 10% of English titles contain a rule keyword
    inside a word ("Quality Coordinator")."""
    n = len(df)
    df = df.copy()
    isp = (rng.random(n) < 0.06) & is_jp & ~free
    letters = np.array(list("abcdefghkmnprstuwxyz"))
    for i in np.flatnonzero(isp):
        pattern = names.ISP_MAIL[int(rng.integers(0, len(names.ISP_MAIL)))]
        sub = "".join(rng.choice(letters, 2)) + str(int(rng.integers(1, 10)))
        local = df.at[i, "email"].split("@")[0]
        df.at[i, "email"] = f"{local}@{pattern.format(sub=sub)}"
    agency = companies["is_agency"].to_numpy()
    clients = np.flatnonzero(~agency)
    form_company = comp.copy()
    for i in np.flatnonzero(agency[comp]):
        # at work, from the agency's own mailbox (a personal address naming a client would
        # be indistinguishable from the client's own lead)
        if rng.random() < 0.6 and len(clients) and not free[i] and not isp[i]:
            form_company[i] = int(clients[rng.integers(0, len(clients))])
    trap = (rng.random(n) < 0.10) & ~is_jp
    df.loc[trap, "title"] = rng.choice(names.TRAP_TITLES, size=int(trap.sum()))
    return df, form_company, isp


def _later(seconds: np.ndarray) -> np.ndarray:
    """Whole-second delays of at least 1 s: two status changes of one lead never share a
    SystemModstamp (which would make two versions with the same key in one extract)."""
    return np.maximum(seconds.astype(np.int64), 1)


def build_journeys(
    rng: np.random.Generator,
    people: pd.DataFrame,
    t0: int,
    t1: int,
    employees: np.ndarray | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Touches (web sessions, webinars) and funnel outcomes for every marketing person.

    ``employees`` (per person) places people in segments for the sequence effect
    (``SEQUENCE_EFFECT``); without it nobody walks the scripted journeys."""
    n = len(people)
    mk = ~people["sales_only"].to_numpy()
    first_at = rng.integers(t0 + DAY, t1 - 20 * DAY, size=n)
    span = rng.exponential(14 * DAY, size=n).astype(np.int64)
    n_pre = 1 + rng.poisson(1.6, size=n)
    n_post = rng.poisson(2.5, size=n)
    seq = SEQUENCE_EFFECT
    emp = np.zeros(n) if employees is None else np.asarray(employees)
    in_segment = (emp >= seq["min_employees"]) & (emp <= seq["max_employees"])
    scripted = mk & in_segment & (rng.random(n) < seq["share"])
    planted_order = scripted & (rng.random(n) < 0.5)
    # scripted journeys: two web touches before the lead (in the scripted order), the
    # second fills in the webinar registration, the webinar follows; nothing else
    n_pre = np.where(scripted, 2, n_pre)
    n_post = np.where(scripted, 0, n_post)
    span = np.where(scripted, np.maximum(span, 2 * DAY), span)
    # pre-lead touches: sorted times in [first_at, first_at + span], the last is the form fill
    pid = np.repeat(np.arange(n), n_pre)
    off = (rng.random(len(pid)) * np.repeat(span, n_pre)).astype(np.int64)
    pre = pd.DataFrame({"person_idx": pid, "ts": np.repeat(first_at, n_pre) + off})
    pre = pre.sort_values(["person_idx", "ts"], kind="stable").reset_index(drop=True)
    pre["channel"] = _pick(rng, PRE_LEAD_MIX, len(pre))
    pre_person = pre["person_idx"].to_numpy()
    rank = pre.groupby("person_idx").cumcount().to_numpy()
    for step in range(2):
        first_ch = np.where(planted_order, seq["planted"][step], seq["reversed"][step])
        pick = scripted[pre_person] & (rank == step)
        pre.loc[pick, "channel"] = first_ch[pre_person[pick]]
    pre["phase"] = "pre"
    last = pre.groupby("person_idx")["ts"].transform("max") == pre["ts"]
    pre["is_form"] = last & ~pre.duplicated(["person_idx", "ts"], keep="last")
    lead_at = pre.loc[pre["is_form"]].set_index("person_idx")["ts"].reindex(range(n)).to_numpy()
    lead_at = lead_at + 90
    pid2 = np.repeat(np.arange(n), n_post)
    post = pd.DataFrame(
        {
            "person_idx": pid2,
            "ts": np.repeat(lead_at, n_post) + (rng.random(len(pid2)) * 45 * DAY).astype(np.int64),
            "channel": _pick(rng, POST_LEAD_MIX, len(pid2)),
            "phase": "post",
            "is_form": False,
        }
    )
    # webinars: 15th of each month 05:00Z; 30% register, 60% of those attend
    reg = (rng.random(n) < 0.3) | scripted
    reg_at = np.where(
        (rng.random(n) < 0.4) | scripted,
        lead_at,
        lead_at + (rng.random(n) * 30 * DAY).astype(np.int64),
    )
    web_dates = webinar_dates(t0, t1)
    wi = np.searchsorted(web_dates, reg_at + 2 * DAY)
    reg &= wi < len(web_dates)
    wi = np.minimum(wi, len(web_dates) - 1)
    attended = reg & ((rng.random(n) < 0.6) | scripted)
    web = pd.DataFrame(
        {
            "person_idx": np.arange(n)[attended],
            "ts": web_dates[wi][attended],
            "channel": "webinar",
            "phase": "webinar",
            "is_form": False,
        }
    )
    touches = pd.concat([pre, post, web], ignore_index=True)
    touches["scripted"] = scripted[touches["person_idx"].to_numpy()]
    touches = touches[mk[touches["person_idx"].to_numpy()] & (touches["ts"] < t1)]
    touches = touches.sort_values(["person_idx", "ts"], kind="stable").reset_index(drop=True)
    touches["touch_idx"] = np.arange(len(touches))

    x = (
        pd.crosstab(touches["person_idx"], touches["channel"])
        .reindex(index=range(n), columns=CHANNELS, fill_value=0)
        .to_numpy()
        > 0
    )

    def logit(stage: str) -> np.ndarray:
        beta = np.array([CHANNEL_EFFECTS[c][stage] for c in CHANNELS])
        bonus = np.where(planted_order, seq["log_odds"], 0.0) if stage in seq["stages"] else 0.0
        return BASE_LOGIT[stage] + x.astype(float) @ beta + bonus

    decision_at = touches.groupby("person_idx")["ts"].max().reindex(range(n)).to_numpy()
    decision_at = np.nan_to_num(decision_at, nan=t1).astype(np.int64)
    out = pd.DataFrame({"person_idx": np.arange(n), "is_marketing": mk})
    out["first_at"] = first_at
    out["lead_at"] = np.where(mk, lead_at, 0)
    out["webinar_registered"] = reg & mk
    out["webinar_reg_at"] = reg_at
    out["webinar_at"] = web_dates[wi]
    out["webinar_attended"] = attended & mk
    out["scripted_journey"] = np.where(scripted, np.where(planted_order, "planted", "reversed"), "")
    for c_i, c in enumerate(CHANNELS):
        out[f"touched_{c}"] = x[:, c_i]
    u = rng.random((n, 6))
    mql = mk & (u[:, 0] < sigmoid(logit("mql")))
    out["mql_at"] = np.where(mql, decision_at + rng.exponential(2 * DAY, n).astype(np.int64), 0)
    # speed to lead: many within 15 min, long tail of hours/days, some never worked
    kind = rng.choice(4, size=n, p=[0.45, 0.33, 0.12, 0.10])
    delay = np.select(
        [kind == 0, kind == 1, kind == 2],
        [
            rng.exponential(5 * MINUTE, n),
            rng.lognormal(np.log(3 * HOUR), 0.8, n),
            rng.uniform(1 * DAY, 6 * DAY, n),
        ],
        default=-1,
    ).astype(np.int64)
    worked = mql & (kind < 3)
    out["first_task_at"] = np.where(worked, out["mql_at"] + np.maximum(delay, 30), 0)
    sal = worked & (u[:, 1] < 0.55)
    out["sal_at"] = np.where(sal, out["first_task_at"] + _later(rng.exponential(3 * HOUR, n)), 0)
    opp = sal & (u[:, 2] < sigmoid(logit("opportunity")))
    out["sql_at"] = np.where(opp, out["sal_at"] + _later(rng.exponential(7 * DAY, n)), 0)
    out["converted_at"] = np.where(opp, out["sql_at"] + _later(rng.exponential(2 * DAY, n)), 0)
    won = opp & (u[:, 3] < sigmoid(logit("won")))
    out["is_won"] = won
    cycle = rng.lognormal(np.log(55 * DAY), 0.45, n).astype(np.int64)
    out["close_at"] = np.where(opp, out["converted_at"] + cycle, 0)
    # not accepted -> recycled or disqualified; accepted but no opp -> recycled later
    out["recycled_at"] = np.where(
        worked & ~sal & (u[:, 4] < 0.6),
        out["first_task_at"] + _later(rng.exponential(5 * DAY, n)),
        0,
    )
    out["disqualified_at"] = np.where(
        worked & ~sal & (u[:, 4] >= 0.6),
        out["first_task_at"] + _later(rng.exponential(5 * DAY, n)),
        0,
    )
    out.loc[sal & ~opp, "recycled_at"] = (out["sal_at"] + _later(rng.exponential(20 * DAY, n)))[
        sal & ~opp
    ]
    out["unsubscribed_at"] = np.where(
        mk & (u[:, 5] < 0.06), out["lead_at"] + rng.exponential(90 * DAY, n).astype(np.int64), 0
    )
    # Salesforce sync: every MQL, half the other leads
    out["sf_synced"] = mk & (mql | (rng.random(n) < 0.5))
    out["sf_lead_at"] = np.where(
        out["sf_synced"], out["lead_at"] + 60 + rng.exponential(8 * MINUTE, n).astype(np.int64), 0
    )
    out["marketo_dup"] = mk & (rng.random(n) < 0.04)
    out["reinquiry_lead"] = opp & (rng.random(n) < 0.10)
    # times after the as-of instant did not happen yet
    for col in [
        "mql_at",
        "first_task_at",
        "sal_at",
        "sql_at",
        "converted_at",
        "recycled_at",
        "disqualified_at",
        "unsubscribed_at",
        "sf_lead_at",
    ]:
        out.loc[out[col] > t1, col] = 0
    out.loc[out["converted_at"] == 0, "close_at"] = 0
    return touches, out


def window(end_date: dt.date) -> tuple[int, int]:
    """(t0, t1) epoch seconds of the world ending on ``end_date``: ``WORLD_DAYS`` whole UTC
    days, the last second of ``end_date`` being the as-of instant."""
    end = dt.datetime.combine(end_date, dt.time(23, 59, 59), tzinfo=dt.UTC)
    start = dt.datetime.combine(
        end_date - dt.timedelta(days=WORLD_DAYS - 1), dt.time(0, 0), tzinfo=dt.UTC
    )
    return int(start.timestamp()), int(end.timestamp())


def _monthly(day: int, hour: int, t0: int, t1: int) -> np.ndarray:
    """One instant per calendar month (``day`` at ``hour`` UTC) inside [t0, t1]."""
    first = pd.Timestamp(t0, unit="s", tz="UTC")
    stamps = []
    for m in range(WORLD_DAYS // 28 + 2):
        month0 = first.month - 1 + m
        t = pd.Timestamp(
            year=first.year + month0 // 12, month=month0 % 12 + 1, day=day, hour=hour, tz="UTC"
        )
        if t0 <= int(t.timestamp()) <= t1:
            stamps.append(int(t.timestamp()))
    return np.array(stamps, dtype=np.int64)


def webinar_dates(t0: int, t1: int) -> np.ndarray:
    """Monthly webinars on the 15th at 05:00 UTC (14:00 JST)."""
    return _monthly(15, 5, t0, t1)


def newsletter_dates(t0: int, t1: int) -> np.ndarray:
    """Monthly newsletters on the 3rd at 01:00 UTC (10:00 JST)."""
    return _monthly(3, 1, t0, t1)


def assign_campaigns(
    rng: np.random.Generator, channel: np.ndarray, ts: np.ndarray, newsletters: np.ndarray
) -> np.ndarray:
    """The ad campaign id (paid channels) or ``newsletter:<i>`` (email) behind each touch."""
    out = np.full(len(channel), "", dtype=object)
    mask = channel == "content"
    out[mask] = CONTENT_CAMPAIGN
    for ch in ("paid_search", "display", "paid_social"):
        ads = [a for a in AD_CAMPAIGNS if a.channel == ch]
        mask = channel == ch
        w = np.array([1.0 / a.cpc**0.3 for a in ads])
        pick = rng.choice(len(ads), size=int(mask.sum()), p=w / w.sum())
        out[mask] = np.array([a.campaign_id for a in ads], dtype=object)[pick]
    mask = channel == "email"
    nl = np.maximum(np.searchsorted(newsletters, ts[mask], side="right") - 1, 0)
    out[mask] = np.array([f"newsletter:{i}" for i in nl], dtype=object)
    return out


def build_world(scale: str, seed: int, end_date: dt.date = REFERENCE_END_DATE) -> World:
    """Draw the whole world for one scale, seed and end date (deterministic: no clock read)."""
    cfg = scale_config(scale)
    t0, t1 = window(end_date)
    rng = np.random.default_rng(seed)
    companies = build_companies(rng, cfg["companies"])
    people = build_people(rng, companies, cfg["people"])
    employees = companies["employees"].to_numpy()[people["company_idx"].to_numpy()]
    touches, outcomes = build_journeys(rng, people, t0, t1, employees)
    people = people.merge(outcomes, on="person_idx", how="left")
    nd = newsletter_dates(t0, t1)
    touches["campaign"] = assign_campaigns(
        rng, touches["channel"].to_numpy(), touches["ts"].to_numpy(), nd
    )
    # the scripted journey's search ad is the competitor-comparison campaign
    scripted_search = touches["scripted"].to_numpy() & (touches["channel"] == "paid_search")
    touches.loc[scripted_search, "campaign"] = SEQUENCE_EFFECT["ad_campaign_id"]
    # which form the identifying session filled in (webinar registrants at lead time: webinar)
    forms = np.array(FORMS, dtype=object)[
        rng.choice(len(FORMS), size=len(touches), p=[0.3, 0.2, 0.35, 0.15])
    ]
    pi = touches["person_idx"].to_numpy()
    webinar_form = (people["webinar_reg_at"].to_numpy() == people["lead_at"].to_numpy())[
        pi
    ] & people["webinar_registered"].to_numpy()[pi]
    forms = np.where(webinar_form, "webinar_registration", forms)
    touches["form"] = np.where(touches["is_form"].to_numpy(), forms, "")
    wd = webinar_dates(t0, t1)
    webinars = pd.DataFrame({"webinar_idx": np.arange(len(wd)), "ts": wd})
    newsletters = pd.DataFrame({"newsletter_idx": np.arange(len(nd)), "ts": nd})
    return World(scale, seed, t0, t1, companies, people, touches, webinars, newsletters)
