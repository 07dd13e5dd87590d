"""Render web sessions as GA4 BigQuery-export events (one JSONL file per day), vectorised.

Known people browse first anonymously (their cookie = ``user_pseudo_id``), then fill in a
form: from that event on the site sets ``user_id`` = SHA-256 hex of the lower-cased,
trimmed e-mail, on that cookie and later on a second device after ``login``. Anonymous
visitors never identify. Paid sessions carry UTMs and click ids (gclid / fbclid /
li_fat_id) in ``page_location``; Google auto-tagged clicks also in
``collected_traffic_source.gclid``. JSON lines are assembled by DuckDB so even the
``large`` scale stays fast.

Files are written as the export delivers them at a given moment (``delivered_at``, by default
the world's as-of instant): fields whose value is null are left out of a line; a day whose
daily table is not ready yet (the export finishes a day some hours after it ends) is the
streaming ``events_intraday_<day>`` file; and about 5 % of events reach GA4 late (up to three
days), so a day's file delivered later holds more events than the same day delivered earlier.
Generating the same world again with a later ``delivered_at`` therefore rewrites the last
days' files and replaces the intraday file by the daily one, as the real export does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from connectors.generate.ids import click_ids, sha256_hex
from connectors.generate.world import (
    AD_CAMPAIGNS,
    ANON_MIX,
    DAY,
    FORM_PAGES,
    World,
    assign_campaigns,
    newsletter_dates,
)
from connectors.generate.writers import MalformedLog, day_strings, pick_malformed

SITE = "https://www.revloop.example"
PAGES = np.array(
    [
        "/",
        "/product",
        "/pricing",
        "/compare/revloop-vs-spreadsheets",
        "/blog/revops-basics",
        "/blog/attribution-guide",
        "/case-studies",
        "/whitepaper/revops-playbook",
        "/webinar",
        "/careers",
        "/integrations/salesforce",
        "/blog/speed-to-lead",
    ],
    dtype=object,
)
PAGE_W = np.array([10, 9, 8, 4, 7, 6, 5, 3, 3, 2, 4, 4], dtype=float)
LANDING = {
    "paid_search": ["/pricing", "/product", "/compare/revloop-vs-spreadsheets"],
    "display": ["/product", "/case-studies"],
    "paid_social": ["/whitepaper/revops-playbook", "/webinar", "/blog/attribution-guide"],
    "organic_search": [
        "/blog/revops-basics",
        "/blog/attribution-guide",
        "/blog/speed-to-lead",
        "/",
    ],
    "email": ["/blog/speed-to-lead", "/webinar", "/case-studies"],
    "referral": ["/integrations/salesforce", "/", "/case-studies"],
    "direct": ["/", "/pricing", "/product"],
    "content": ["/compare/revloop-vs-spreadsheets"],  # a syndicated comparison article
}
REFERRERS = {
    "paid_search": "https://www.google.com/",
    "display": "https://googleads.g.doubleclick.net/",
    "organic_search": "https://www.google.co.jp/",
    "referral": "https://partner.example.jp/blog/",
    "email": "",
    "direct": "",
    "content": "https://note.com/revops_lab/n/comparison",
}
JP_CITIES = ["Tokyo", "Osaka", "Yokohama", "Nagoya", "Fukuoka", "Sapporo"]
US_CITIES = ["New York", "San Francisco", "Chicago", "Austin", "Seattle"]
_AD_BY_ID = {a.campaign_id: a for a in AD_CAMPAIGNS}
DAILY_READY_SECONDS = 6 * 3600  # the daily table of a day lands this long after the day ends
LATE_SHARE = 0.05  # events that reach GA4 after they happened (offline devices, batching)
LATE_MEAN_SECONDS = 18 * 3600
LATE_MAX_SECONDS = 71 * 3600  # GA4 adds late events to a day's table for three days only


@dataclass
class WebSessions:
    """Sessions and cookies; the renderers of Marketo and ads read these too.

    ``t0``/``t1``: the world's bounds (epoch seconds), carried for the renderers."""

    sessions: pd.DataFrame
    cookies: pd.DataFrame
    t0: int
    t1: int


def _choice(rng: np.random.Generator, options: list[str], n: int) -> np.ndarray:
    return np.array(options, dtype=object)[rng.integers(0, len(options), size=n)]


def build_sessions(world: World, rng: np.random.Generator) -> WebSessions:
    """Known people's web touches plus anonymous visitors, as sessions with cookies."""
    t0, t1 = world.t0, world.t1
    people = world.people
    t = world.touches[world.touches["channel"] != "webinar"].reset_index(drop=True)
    n_people = len(people)
    # cookies: one per marketing person, a second device for 20% of them
    second = rng.random(n_people) < 0.2
    use_second = (
        second[t["person_idx"].to_numpy()]
        & (t["phase"].to_numpy() == "post")
        & (rng.random(len(t)) < 0.5)
    )
    cookie_of_person = np.arange(n_people)
    second_cookie = np.full(n_people, -1)
    second_cookie[second] = n_people + np.arange(int(second.sum()))
    n_known_cookies = n_people + int(second.sum())
    cookie = np.where(
        use_second,
        second_cookie[t["person_idx"].to_numpy()],
        cookie_of_person[t["person_idx"].to_numpy()],
    )
    known = pd.DataFrame(
        {
            "cookie": cookie,
            "ts": t["ts"].to_numpy(),
            "channel": t["channel"].to_numpy(),
            "campaign": t["campaign"].to_numpy(),
            "person_idx": t["person_idx"].to_numpy(),
            "phase": t["phase"].to_numpy(),
            "form": t["form"].to_numpy(),
        }
    )
    # anonymous visitors
    n_anon = int(world.people.shape[0] and _anon_count(world))
    n_sess = 1 + rng.geometric(0.55, size=n_anon) - 1
    first = rng.integers(t0, t1 - DAY, size=n_anon)
    cid = np.repeat(np.arange(n_anon), n_sess)
    gap = (rng.exponential(6 * DAY, size=len(cid))).astype(np.int64)
    k = np.arange(len(cid)) - np.repeat(np.cumsum(n_sess) - n_sess, n_sess)
    ts = np.repeat(first, n_sess) + np.where(k == 0, 0, gap * k)
    ch_keys = np.array(list(ANON_MIX), dtype=object)
    p = np.array(list(ANON_MIX.values()))
    ch = ch_keys[rng.choice(len(ch_keys), size=len(cid), p=p / p.sum())]
    anon = pd.DataFrame(
        {
            "cookie": n_known_cookies + cid,
            "ts": ts,
            "channel": ch,
            "campaign": assign_campaigns(rng, ch, ts, newsletter_dates(t0, t1)),
            "person_idx": -1,
            "phase": "anon",
            "form": "",
        }
    )
    anon = anon[anon["ts"] < t1]
    s = pd.concat([known, anon], ignore_index=True)
    s = s.sort_values(["cookie", "ts"], kind="stable").reset_index(drop=True)
    n = len(s)
    s["session_idx"] = np.arange(n)
    s["first_of_cookie"] = ~s["cookie"].duplicated()
    s["is_form"] = s["form"].to_numpy() != ""
    # identified from the start of the session: primary cookie after the form session,
    # second device after its first (login) session
    person = s["person_idx"].to_numpy()
    is_second = s["cookie"].to_numpy() >= n_people
    is_second &= s["cookie"].to_numpy() < n_known_cookies
    form_ts = np.full(n_people, np.iinfo(np.int64).max)
    f = s[s["is_form"]]
    form_ts[f["person_idx"].to_numpy()] = f["ts"].to_numpy()
    sts = s["ts"].to_numpy()
    s["is_login"] = is_second & s["first_of_cookie"].to_numpy()
    s["identified"] = (person >= 0) & (
        (~is_second & (sts > form_ts[np.maximum(person, 0)]))
        | (is_second & ~s["first_of_cookie"].to_numpy())
    )
    s["n_pages"] = 1 + rng.poisson(np.where(s["channel"].to_numpy() == "display", 0.6, 2.2))
    s["has_download"] = rng.random(n) < 0.06
    s["ga_session_id"] = sts
    # landing page + query string
    ch = s["channel"].to_numpy()
    land = np.empty(n, dtype=object)
    for c, opts in LANDING.items():
        m = ch == c
        land[m] = _choice(rng, opts, int(m.sum()))
    form_page = np.array([FORM_PAGES.get(x, "") for x in s["form"]], dtype=object)
    land = np.where(s["is_form"] & (rng.random(n) < 0.5), form_page, land)
    camp = s["campaign"].to_numpy()
    platform = np.array(
        [_AD_BY_ID[c].platform if c in _AD_BY_ID else "" for c in camp], dtype=object
    )
    utm_campaign = np.array(
        [
            _AD_BY_ID[c].utm_campaign
            if c in _AD_BY_ID
            else (
                c.split(":", 1)[1]
                if c.startswith("utm:")
                else (_newsletter_utm(c, world) if c else "")
            )
            for c in camp
        ],
        dtype=object,
    )
    src = np.full(n, "", dtype=object)
    med = np.full(n, "", dtype=object)
    src[platform == "google_ads"] = "google"
    med[ch == "paid_search"] = "cpc"
    med[ch == "display"] = "display"
    src[platform == "meta_ads"] = "facebook"
    src[platform == "linkedin_ads"] = "linkedin"
    med[ch == "paid_social"] = "paid_social"
    src[ch == "email"] = "marketo"
    med[ch == "email"] = "email"
    src[ch == "content"] = "note"
    med[ch == "content"] = "content"
    google = platform == "google_ads"
    autotag_only = google & (rng.random(n) < 0.4)  # gclid without UTMs
    has_utm = (src != "") & ~autotag_only
    click = np.full(n, "", dtype=object)
    click_key = np.full(n, "", dtype=object)
    for plat, key, prefix, length in [
        ("google_ads", "gclid", "Cj0KCQ", 60),
        ("meta_ads", "fbclid", "IwAR", 56),
        ("linkedin_ads", "li_fat_id", "", 36),
    ]:
        m = platform == plat
        click[m] = click_ids(rng, int(m.sum()), prefix, length)
        click_key[m] = key
    gclid_in_cts = google & (rng.random(n) < 0.7)
    q = np.where(
        has_utm, "utm_source=" + src + "&utm_medium=" + med + "&utm_campaign=" + utm_campaign, ""
    )
    q = np.where(click != "", np.where(q != "", q + "&", "") + click_key + "=" + click, q)
    s["landing_path"] = land
    s["query"] = q
    s["click_id"] = click
    s["click_key"] = click_key
    s["platform"] = platform
    s["utm_source"] = np.where(has_utm, src, "")
    s["utm_medium"] = np.where(has_utm, med, "")
    s["utm_campaign"] = np.where(has_utm, utm_campaign, "")
    s["cts_gclid"] = np.where(gclid_in_cts, click, "")
    ref = np.array([REFERRERS.get(c, "") for c in ch], dtype=object)
    ref[platform == "meta_ads"] = "https://l.facebook.com/"
    ref[platform == "linkedin_ads"] = "https://www.linkedin.com/"
    s["referrer"] = ref
    # cookies
    cookies = _cookies(rng, s, people, n_known_cookies, n_people)
    return WebSessions(s, cookies, t0, t1)


def _anon_count(world: World) -> int:
    from connectors.generate.world import scale_config

    return scale_config(world.scale)["anon_cookies"]


def _newsletter_utm(campaign: str, world: World) -> str:
    i = int(campaign.split(":")[1])
    ts = int(world.newsletters["ts"].iloc[i])
    return "newsletter_" + pd.Timestamp(ts, unit="s").strftime("%Y%m")


def _cookies(
    rng: np.random.Generator, s: pd.DataFrame, people: pd.DataFrame, n_known: int, n_people: int
) -> pd.DataFrame:
    first = s[s["first_of_cookie"]].set_index("cookie")
    n = int(s["cookie"].max()) + 1
    c = pd.DataFrame({"cookie": np.arange(n)})
    c = c.join(
        first[
            ["ts", "channel", "utm_campaign", "utm_source", "utm_medium", "person_idx", "platform"]
        ],
        on="cookie",
    )
    c = c[c["ts"].notna()].reset_index(drop=True)
    rnd = rng.integers(100_000_000, 2_147_483_647, size=len(c))
    c["user_pseudo_id"] = pd.Series(rnd).astype(str) + "." + c["ts"].astype(np.int64).astype(str)
    ch = c["channel"].to_numpy()
    c["ts_source"] = np.select(
        [ch == "organic_search", ch == "direct", ch == "referral"],
        ["google", "(direct)", "partner.example.jp"],
        default=c["utm_source"].replace("", "google"),
    )
    c["ts_medium"] = np.select(
        [ch == "organic_search", ch == "direct", ch == "referral"],
        ["organic", "(none)", "referral"],
        default=c["utm_medium"].replace("", "cpc"),
    )
    c["ts_name"] = np.select(
        [ch == "organic_search", ch == "direct", ch == "referral"],
        ["(organic)", "(direct)", "(referral)"],
        default=c["utm_campaign"].replace("", "(cpc)"),
    )
    c["device"] = np.array(["desktop", "mobile", "tablet"], dtype=object)[
        rng.choice(3, size=len(c), p=[0.68, 0.28, 0.04])
    ]
    pi = c["person_idx"].fillna(-1).astype(int).to_numpy()
    is_jp = np.where(
        pi >= 0, people["is_jp"].to_numpy()[np.maximum(pi, 0)], rng.random(len(c)) < 0.85
    )
    c["country"] = np.where(is_jp, "Japan", "United States")
    c["city"] = np.where(is_jp, _choice(rng, JP_CITIES, len(c)), _choice(rng, US_CITIES, len(c)))
    email = people["email"].str.strip().str.lower().to_numpy()
    c["user_id"] = None
    known = pi >= 0
    c.loc[known, "user_id"] = sha256_hex(list(email[pi[known]]))
    c["person_idx"] = pi
    return c


EVENT_NAMES = [
    "page_view",
    "first_visit",
    "session_start",
    "login",
    "file_download",
    "form_submit",
    "generate_lead",
]
ALL_PATHS = list(dict.fromkeys([*PAGES.tolist(), *FORM_PAGES.values(), "/login"]))
_PATH_CODE = {p: i for i, p in enumerate(ALL_PATHS)}


def build_events(ws: WebSessions, rng: np.random.Generator) -> pd.DataFrame:
    """Expand sessions into ordered events (vectorised; numeric codes, no loop per event).

    Strings (URLs, cookie ids) stay in the session/cookie tables and are joined in only
    when the JSON is written, which keeps the ``large`` scale within memory.
    """
    t1 = ws.t1
    s = ws.sessions
    fv = s["first_of_cookie"].to_numpy().astype(np.int64)
    login = s["is_login"].to_numpy().astype(np.int64)
    pages = s["n_pages"].to_numpy().astype(np.int64)
    dl = s["has_download"].to_numpy().astype(np.int64)
    form = s["is_form"].to_numpy().astype(np.int64)
    count = fv + 1 + login + pages + dl + 2 * form
    sid = np.repeat(np.arange(len(s)), count)
    k = np.arange(len(sid)) - np.repeat(np.cumsum(count) - count, count)
    hdr = (fv + 1 + login)[sid]
    pv_end = hdr + pages[sid]
    fvs = fv[sid]
    name = np.zeros(len(sid), dtype=np.int8)  # page_view
    name[(k == 0) & (fvs == 1)] = 1
    name[k == fvs] = 2
    is_login = (login[sid] == 1) & (k == fvs + 1)
    name[is_login] = 3
    is_dl = (dl[sid] == 1) & (k == pv_end)
    name[is_dl] = 4
    f0 = pv_end + dl[sid]
    is_form = (form[sid] == 1) & (k >= f0)
    name[is_form & (k == f0)] = 5
    name[is_form & (k == f0 + 1)] = 6
    page_no = np.clip(k - hdr, 0, pages[sid] - 1)  # header events sit on the landing page
    gap = rng.integers(15, 120, size=len(sid))
    ts_us = (
        s["ts"].to_numpy()[sid] * 1_000_000
        + page_no * 45_000_000
        + (gap * 10_000) * (k > hdr)
        + k * 1_000
        + rng.integers(0, 999, size=len(sid))
    )
    # paths: landing for the header events and first page, random pages after, form pages
    page_codes = np.array([_PATH_CODE[p] for p in PAGES], dtype=np.int16)
    path = page_codes[rng.choice(len(PAGES), size=len(sid), p=PAGE_W / PAGE_W.sum())]
    landing = k <= hdr
    land_code = np.array([_PATH_CODE[p] for p in s["landing_path"]], dtype=np.int16)
    path = np.where(landing, land_code[sid], path)
    path[is_login] = _PATH_CODE["/login"]
    path[is_dl] = _PATH_CODE["/whitepaper/revops-playbook"]
    form_code = np.array(
        [_PATH_CODE[FORM_PAGES.get(x, "/contact")] for x in s["form"]], dtype=np.int16
    )
    path = np.where(is_form, form_code[sid], path)
    # keep pages consistent inside a session: page N's referrer is page N-1
    prev = np.roll(path, 1)
    identified = s["identified"].to_numpy()[sid] | is_form | ((login[sid] == 1) & (k >= fvs + 1))
    ev = pd.DataFrame(
        {
            "ts_us": ts_us,
            "name_code": name,
            "session": sid,
            "cookie": s["cookie"].to_numpy()[sid],
            "path_code": path,
            "prev_path_code": prev,
            "is_form": is_form,
            "identified": identified,
            "landing": landing,
        }
    )
    ev = ev[ev["ts_us"] < (t1 + 1) * 1_000_000]
    ev = ev.sort_values(["ts_us", "cookie", "session"], kind="stable").reset_index(drop=True)
    return ev


def known_page_views(ws: WebSessions, ev: pd.DataFrame) -> pd.DataFrame:
    """Identified page views with their URLs (what Marketo's Munchkin also records)."""
    pv = ev[(ev["name_code"] == 0) & ev["identified"]]
    s = ws.sessions
    paths = np.array(ALL_PATHS, dtype=object)
    ses = pv["session"].to_numpy()
    land = pv["landing"].to_numpy()
    query = s["query"].to_numpy()[ses]
    path = paths[pv["path_code"].to_numpy()]
    return pd.DataFrame(
        {
            "ts_us": pv["ts_us"].to_numpy(),
            "cookie": pv["cookie"].to_numpy(),
            "path": path,
            "url": SITE + path,
            "query": np.where(land, query, ""),
            "referrer": np.where(
                land, s["referrer"].to_numpy()[ses], SITE + paths[pv["prev_path_code"].to_numpy()]
            ),
        }
    )


_EVENT_SQL = """
SELECT e.day, regexp_replace(regexp_replace(json_object(
  'event_date', e.day,
  'event_timestamp', CASE WHEN e.bad = 1
      THEN substr(e.ts_us::VARCHAR, 1, 6) || 'O' || substr(e.ts_us::VARCHAR, 8)
      ELSE e.ts_us::VARCHAR END,
  'event_name', n.name,
  'event_params', CASE WHEN e.is_form THEN json_array(
      json_object('key', 'page_location', 'value', json_object('string_value', loc)),
      json_object('key', 'page_referrer', 'value', json_object('string_value', ref)),
      json_object('key', 'ga_session_id', 'value', json_object('int_value', s.sid_text)),
      json_object('key', 'form_id', 'value', json_object('string_value', s.form)))
    ELSE json_array(
      json_object('key', 'page_location', 'value', json_object('string_value', loc)),
      json_object('key', 'page_referrer', 'value', json_object('string_value', ref)),
      json_object('key', 'ga_session_id', 'value', json_object('int_value', s.sid_text))) END,
  'user_pseudo_id', CASE WHEN e.bad = 2 THEN NULL ELSE c.user_pseudo_id END,
  'user_id', CASE WHEN e.identified THEN c.user_id END,
  'traffic_source', json_object('name', c.ts_name, 'medium', c.ts_medium, 'source', c.ts_source),
  'collected_traffic_source', CASE WHEN e.landing AND (s.manual_source IS NOT NULL
      OR s.gclid IS NOT NULL) THEN json_object(
      'manual_source', s.manual_source, 'manual_medium', s.manual_medium,
      'manual_campaign_name', s.manual_campaign_name, 'manual_content', NULL,
      'manual_term', NULL, 'gclid', s.gclid, 'dclid', NULL, 'srsltid', NULL) END,
  'device', json_object('category', c.device),
  'geo', json_object('country', c.country, 'city', c.city)
)::VARCHAR,
  -- the export leaves null fields out of a line
  '"[a-z_]+":null,', '', 'g'), ',"[a-z_]+":null', '', 'g') AS line
FROM (
  SELECT e.*, strftime(make_timestamp(e.ts_us), '%Y%m%d') AS day,
    '{site}' || p.path || CASE WHEN e.landing AND s.query <> '' THEN '?' || s.query ELSE '' END
      AS loc,
    CASE WHEN e.landing THEN s.referrer ELSE '{site}' || pp.path END AS ref
  FROM events e
  JOIN sessions s ON s.session = e.session
  JOIN paths p ON p.code = e.path_code
  JOIN paths pp ON pp.code = e.prev_path_code
  WHERE e.ord >= $lo AND e.ord < $hi
) e
JOIN sessions s ON s.session = e.session
JOIN cookies c ON c.cookie = e.cookie
JOIN names n ON n.code = e.name_code
ORDER BY e.ord
""".replace("{site}", SITE)


def delivery_plan(
    ts_us: np.ndarray, delivered_at: int, late_rng: np.random.Generator
) -> tuple[np.ndarray, set[int]]:
    """(which events have reached GA4 by ``delivered_at``, days still in their intraday file).

    An event arrives when it happened plus a lag (0 for most, up to three days for a few);
    a day's daily file exists once ``DAILY_READY_SECONDS`` have passed after the day ended.
    """
    lag = np.minimum(late_rng.exponential(LATE_MEAN_SECONDS, len(ts_us)), LATE_MAX_SECONDS)
    lag = np.where(late_rng.random(len(ts_us)) < LATE_SHARE, lag, 0).astype(np.int64)
    arrived = ts_us // 1_000_000 + lag <= delivered_at
    days = np.unique(ts_us // 86_400_000_000)
    intraday = {int(d) for d in days if (d + 1) * 86_400 + DAILY_READY_SECONDS > delivered_at}
    return arrived, intraday


def write_ga4(
    ws: WebSessions,
    events: pd.DataFrame,
    out_dir: Path,
    rng: np.random.Generator,
    malformed: MalformedLog,
    *,
    delivered_at: int | None = None,
    late_rng: np.random.Generator | None = None,
) -> dict[str, int]:
    """One ``events_<YYYYMMDD>.jsonl`` per day (``events_intraday_<YYYYMMDD>.jsonl`` for a day
    not finished by ``delivered_at``); INT64 values as strings like the export."""
    folder = out_dir / "ga4"
    folder.mkdir(parents=True, exist_ok=True)
    s = ws.sessions
    delivered_at = ws.t1 if delivered_at is None else int(delivered_at)
    late_rng = late_rng if late_rng is not None else np.random.default_rng(0)
    # deliberately malformed lines (~0.1%): non-numeric timestamp, missing cookie id; picked
    # among all events, so the choice does not depend on the moment of delivery
    picks = pick_malformed(rng, len(events), 0.001, 2)
    arrived, intraday = delivery_plan(events["ts_us"].to_numpy(), delivered_at, late_rng)
    kind = np.zeros(len(events), dtype=np.int8)
    kind[picks] = np.where(np.arange(len(picks)) % 2 == 0, 1, 2)
    ev = events[arrived].reset_index(drop=True)
    kind = kind[arrived]
    ts_us = ev["ts_us"].to_numpy()
    day_idx = ts_us // 86_400_000_000
    cuts = np.r_[0, np.flatnonzero(day_idx[1:] != day_idx[:-1]) + 1]
    line = np.arange(len(ev)) - np.repeat(cuts, np.diff(np.r_[cuts, len(ev)])) + 1
    bad = np.zeros(len(ev), dtype=np.int8)
    days = day_strings(ts_us // 1_000_000, "%Y%m%d")
    stem = np.where(np.isin(day_idx, list(intraday)), "events_intraday_", "events_")
    for i in np.flatnonzero(kind):
        fname = f"ga4/{stem[i]}{days[i]}.jsonl"
        bad[i] = kind[i]
        if kind[i] == 1:
            t = str(ts_us[i])
            malformed.add(
                "ga4", fname, line[i], "event_timestamp", t[:6] + "O" + t[7:], "non-numeric number"
            )
        else:
            malformed.add("ga4", fname, line[i], "user_pseudo_id", None, "missing required id")
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    con.execute("SET enable_progress_bar = false")
    tables = {
        "events": ev.assign(ord=np.arange(len(ev)), bad=bad),
        "sessions": pd.DataFrame(
            {
                "session": s["session_idx"].to_numpy(),
                "sid_text": s["ga_session_id"].astype(str).to_numpy(),
                "form": s["form"].to_numpy(),
                "query": s["query"].to_numpy(),
                "referrer": s["referrer"].to_numpy(),
                "manual_source": _blank(s["utm_source"].to_numpy()),
                "manual_medium": _blank(s["utm_medium"].to_numpy()),
                "manual_campaign_name": _blank(s["utm_campaign"].to_numpy()),
                "gclid": _blank(s["cts_gclid"].to_numpy()),
            }
        ),
        "cookies": ws.cookies[
            [
                "cookie",
                "user_pseudo_id",
                "user_id",
                "ts_name",
                "ts_medium",
                "ts_source",
                "device",
                "country",
                "city",
            ]
        ],
        "paths": pd.DataFrame({"code": np.arange(len(ALL_PATHS)), "path": ALL_PATHS}),
        "names": pd.DataFrame({"code": np.arange(len(EVENT_NAMES)), "name": EVENT_NAMES}),
    }
    for name, frame in tables.items():
        con.register(f"{name}_df", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_df")
        con.unregister(f"{name}_df")
    files = 0
    # events are in time order: write whole days in chunks of ~300k events (bounded memory)
    chunks = [0]
    for cut in [*cuts[1:].tolist(), len(ev)]:
        if cut - chunks[-1] >= 300_000 or cut == len(ev):
            chunks.append(int(cut))
    for lo, hi in zip(chunks[:-1], chunks[1:], strict=True):
        rows = con.execute(_EVENT_SQL, {"lo": lo, "hi": hi}).fetchnumpy()
        d, lines = rows["day"], rows["line"]
        bounds = np.flatnonzero(d[1:] != d[:-1]) + 1
        for a, b in zip(np.r_[0, bounds], np.r_[bounds, len(d)], strict=True):
            day = int(pd.Timestamp(d[a]).timestamp()) // 86_400
            prefix = "events_intraday_" if day in intraday else "events_"
            path = folder / f"{prefix}{d[a]}.jsonl"
            with path.open("w", encoding="utf-8", newline="\n") as fh:
                fh.write("\n".join(lines[a:b].tolist()))
                fh.write("\n")
            files += 1
    con.close()
    return {"files": files, "rows": len(ev)}


def _blank(a: np.ndarray) -> np.ndarray:
    return np.where(a == "", None, a)
