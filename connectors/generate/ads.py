"""Render ad-platform daily performance (Google Ads GAQL CSV, Meta Insights, LinkedIn).

Reported clicks are the paid sessions GA4 saw for that campaign and day plus the clicks
that never reached the site, so ads and web analytics agree like real platforms do (never
exactly). Spend is in the account currency: Google JPY (micros), Meta one USD and one JPY
account, LinkedIn USD. Google click ids in ``click_view`` are the gclids of GA4 sessions.

Files are written as the platforms report them at ``delivered_at``: recent days are not final
(conversions keep arriving for about three days; Google credits invalid clicks back after two
days), so the same world delivered later restates those days. Meta's Insights are exported at
ad-set level (``level=adset``): one row per day and ad set, two or three ad sets per campaign,
and ``actions`` is left out of a row that had none, as the API does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from connectors.generate.ga4 import WebSessions
from connectors.generate.ids import click_ids
from connectors.generate.world import AD_CAMPAIGNS
from connectors.generate.writers import (
    MalformedLog,
    day_strings,
    dumps,
    pick_malformed,
    write_csv_files,
)

GOOGLE_COLUMNS = [
    "segments.date",
    "customer.id",
    "customer.currency_code",
    "campaign.id",
    "campaign.name",
    "campaign.advertising_channel_type",
    "metrics.impressions",
    "metrics.clicks",
    "metrics.cost_micros",
    "metrics.conversions",
]


def daily_performance(ws: WebSessions, rng: np.random.Generator) -> pd.DataFrame:
    """One row per campaign per day with impressions, clicks, spend, conversions."""
    t0, t1 = ws.t0, ws.t1
    s = ws.sessions
    paid = s[s["platform"] != ""]
    day = pd.Series(day_strings(paid["ts"].to_numpy()), index=paid.index)
    landed = paid.groupby([day.to_numpy(), paid["campaign"].to_numpy()]).size()
    conv = paid[paid["is_form"]]
    cday = pd.Series(day_strings(conv["ts"].to_numpy()), index=conv.index)
    convs = conv.groupby([cday.to_numpy(), conv["campaign"].to_numpy()]).size()
    days = pd.date_range(pd.Timestamp(t0, unit="s"), pd.Timestamp(t1, unit="s"), freq="D")
    dates = days.strftime("%Y-%m-%d").to_numpy()
    rows = []
    for ad in AD_CAMPAIGNS:
        lc = (
            landed.xs(ad.campaign_id, level=1).reindex(dates, fill_value=0).to_numpy()
            if (ad.campaign_id in landed.index.get_level_values(1))
            else np.zeros(len(dates), int)
        )
        cv = (
            convs.xs(ad.campaign_id, level=1).reindex(dates, fill_value=0).to_numpy()
            if (ad.campaign_id in convs.index.get_level_values(1))
            else np.zeros(len(dates), int)
        )
        clicks = lc + rng.poisson(0.15 * lc + 0.3)
        impressions = np.round((clicks + 1) / ad.ctr * rng.lognormal(0, 0.25, len(dates)))
        cost = clicks * ad.cpc * rng.lognormal(0, 0.2, len(dates))
        rows.append(
            pd.DataFrame(
                {
                    "date": dates,
                    "platform": ad.platform,
                    "account_id": ad.account_id,
                    "currency": ad.currency,
                    "campaign_id": ad.campaign_id,
                    "campaign_name": ad.name,
                    "channel_type": ad.channel_type,
                    "impressions": impressions.astype(np.int64),
                    "clicks": clicks.astype(np.int64),
                    "cost": cost,
                    "landed": lc,
                    "conversions": cv,
                }
            )
        )
    return (
        pd.concat(rows, ignore_index=True)
        .sort_values(["date", "platform", "campaign_id"], kind="stable")
        .reset_index(drop=True)
    )


RESTATE_SECONDS = 3 * 86_400  # conversions of a day are final this long after it ended
INVALID_CLICK_CREDIT_AFTER = 2 * 86_400
META_AUDIENCES = ["Lookalike 1% JP", "Retargeting 30d", "Interest: B2B SaaS"]


def _reported(perf: pd.DataFrame, delivered_at: int, restate_rng: np.random.Generator) -> None:
    """What the platforms report at ``delivered_at`` (in place): conversions so far, and cost
    after invalid-click credits once they are applied."""
    epoch = (pd.to_datetime(perf["date"]) - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)
    day_end = epoch.to_numpy().astype(np.int64) + 86_400
    age = delivered_at - day_end
    credit = restate_rng.uniform(0.0, 0.03, len(perf))  # drawn per row: stable across deliveries
    completeness = np.clip(0.5 + 0.5 * age / RESTATE_SECONDS, 0.5, 1.0)
    perf["conversions"] = np.round(perf["conversions"].to_numpy() * completeness, 2)
    perf["cost"] = perf["cost"].to_numpy() * (1 - credit * (age >= INVALID_CLICK_CREDIT_AFTER))


def _split(total: int, weights: list[float]) -> list[int]:
    """``total`` split by ``weights`` into integers that add up (largest remainder)."""
    raw = [total * w for w in weights]
    out = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)[
        : total - sum(out)
    ]:
        out[i] += 1
    return out


def _meta_adset_rows(date: str, part: list) -> list[dict]:
    """Insights rows at ad-set level: each campaign's day split over its ad sets."""
    data = []
    for r in part:
        n_sets = 2 + int(r.campaign_id[-1]) % 2
        weights = [0.6, 0.4] if n_sets == 2 else [0.5, 0.3, 0.2]
        impressions = _split(int(r.impressions), weights)
        clicks = _split(int(r.clicks), weights)
        leads = _split(int(round(r.conversions)), weights)
        for k in range(n_sets):
            spend = r.cost * weights[k]
            row = {
                "date_start": date,
                "date_stop": date,
                "account_id": r.account_id.removeprefix("act_"),
                "account_currency": r.currency,
                "campaign_id": r.campaign_id,
                "campaign_name": r.campaign_name,
                "adset_id": str(int(r.campaign_id) + 1000 * (k + 1)),
                "adset_name": f"{r.campaign_name} | {META_AUDIENCES[k]}",
                "impressions": str(impressions[k]),
                "clicks": str(clicks[k]),
                "spend": f"{spend:.2f}" if r.currency == "USD" else f"{round(spend):d}",
            }
            actions = [
                {"action_type": a, "value": str(v)}
                for a, v in (("link_click", clicks[k]), ("lead", leads[k]))
                if v
            ]
            if actions:  # the API leaves the field out of a row without actions
                row["actions"] = actions
            data.append(row)
    return data


def write_ads(
    ws: WebSessions,
    perf: pd.DataFrame,
    out_dir: Path,
    rng: np.random.Generator,
    malformed: MalformedLog,
    *,
    delivered_at: int | None = None,
    restate_rng: np.random.Generator | None = None,
) -> dict[str, dict[str, int]]:
    """Write the three platforms' daily files, as reported at ``delivered_at``."""
    root = out_dir / "ads"
    perf = perf.copy()
    _reported(
        perf,
        ws.t1 if delivered_at is None else int(delivered_at),
        restate_rng if restate_rng is not None else np.random.default_rng(0),
    )
    g = perf[perf["platform"] == "google_ads"].copy()
    g_out = (
        pd.DataFrame(
            {
                "segments.date": g["date"],
                "customer.id": g["account_id"],
                "customer.currency_code": g["currency"],
                "campaign.id": g["campaign_id"],
                "campaign.name": g["campaign_name"],
                "campaign.advertising_channel_type": g["channel_type"],
                "metrics.impressions": g["impressions"],
                "metrics.clicks": g["clicks"],
                "metrics.cost_micros": (np.round(g["cost"]) * 1_000_000).astype(np.int64),
                "metrics.conversions": g["conversions"].astype(float),
            }
        )
        .reset_index(drop=True)
        .astype({"metrics.cost_micros": object})
    )
    line = g_out.groupby("segments.date").cumcount().to_numpy() + 1
    for i in pick_malformed(rng, len(g_out), 0.001, 1):
        g_out.at[i, "metrics.cost_micros"] = "N/A"
        malformed.add(
            "google_ads",
            f"ads/google_ads/campaign_{g_out.at[i, 'segments.date']}.csv",
            line[i],
            "metrics.cost_micros",
            "N/A",
            "non-numeric number",
        )
    counts: dict[str, dict[str, int]] = {}
    n = write_csv_files(
        root,
        "google_ads/campaign_" + g_out["segments.date"].to_numpy(dtype=object) + ".csv",
        g_out,
        GOOGLE_COLUMNS,
    )
    counts["google_ads__campaign"] = {"files": n, "rows": len(g_out)}
    # click_view: gclids of the landed sessions plus the clicks that never landed
    s = ws.sessions
    gs = s[s["click_key"] == "gclid"]
    cv = pd.DataFrame(
        {
            "click_view.gclid": gs["click_id"].to_numpy(),
            "segments.date": day_strings(gs["ts"].to_numpy()),
            "campaign.id": gs["campaign"].to_numpy(),
        }
    )
    extra = g[g["clicks"] > g["landed"]]
    n_extra = (extra["clicks"] - extra["landed"]).to_numpy()
    cv_extra = pd.DataFrame(
        {
            "click_view.gclid": click_ids(rng, int(n_extra.sum()), "Cj0KCQ", 60),
            "segments.date": np.repeat(extra["date"].to_numpy(), n_extra),
            "campaign.id": np.repeat(extra["campaign_id"].to_numpy(), n_extra),
        }
    )
    cv = pd.concat([cv, cv_extra], ignore_index=True)
    cv["ad_group.id"] = cv["campaign.id"].str.slice(0, 4) + "1" + cv["campaign.id"].str.slice(-4)
    cv = cv.sort_values(["segments.date", "campaign.id", "click_view.gclid"], kind="stable")
    n = write_csv_files(
        root,
        "google_ads/click_view_" + cv["segments.date"].to_numpy(dtype=object) + ".csv",
        cv,
        ["click_view.gclid", "segments.date", "campaign.id", "ad_group.id"],
    )
    counts["google_ads__click_view"] = {"files": n, "rows": len(cv)}
    # Meta insights at ad-set level: numbers as strings, spend with the account currency's
    # precision
    m = perf[perf["platform"] == "meta_ads"]
    n = 0
    meta_rows = 0
    for date, part in _by_date(m):
        data = _meta_adset_rows(date, part)
        meta_rows += len(data)
        body = {"data": data, "paging": {"cursors": {"before": "MAZDZD", "after": "MjQZD"}}}
        path = root / "meta_ads" / f"insights_{date}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dumps(body) + "\n", encoding="utf-8")
        n += 1
    counts["meta_ads__insights"] = {"files": n, "rows": meta_rows}
    li = perf[perf["platform"] == "linkedin_ads"]
    n = 0
    for date, part in _by_date(li):
        y, mo, d = (int(x) for x in date.split("-"))
        dr = {"year": y, "month": mo, "day": d}
        elements = [
            {
                "dateRange": {"start": dr, "end": dr},
                "pivotValues": [f"urn:li:sponsoredCampaign:{r.campaign_id}"],
                "impressions": int(r.impressions),
                "clicks": int(r.clicks),
                "costInLocalCurrency": f"{r.cost:.2f}",
                "externalWebsiteConversions": int(r.conversions),
            }
            for r in part
        ]
        body = {"elements": elements, "paging": {"count": 10, "start": 0, "links": []}}
        path = root / "linkedin_ads" / f"analytics_{date}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dumps(body) + "\n", encoding="utf-8")
        n += 1
    counts["linkedin_ads__analytics"] = {"files": n, "rows": len(li)}
    return counts


def _by_date(frame: pd.DataFrame) -> list[tuple[str, list]]:
    """Rows grouped by date as light named tuples (pandas' per-group cost is too high)."""
    groups: dict[str, list] = {}
    for r in frame.itertuples(index=False):
        groups.setdefault(r.date, []).append(r)
    return sorted(groups.items())
