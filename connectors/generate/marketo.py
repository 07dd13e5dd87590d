"""Render the world as Marketo Bulk Extract CSVs (daily lead and activity files).

Leads appear in the file of each day they changed (created, synced to Salesforce, MQL,
converted, unsubscribed) with the newest ``updatedAt`` winning. Activities mirror the
same moments the other systems saw: the form fill GA4 recorded, the web visits of the
identified cookie, newsletter sends/opens/clicks, webinar registration/attendance (104),
score changes and unsubscribes. Some ``activityDate`` values carry ``+09:00`` instead of ``Z``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from connectors.generate import names
from connectors.generate.ga4 import SITE, WebSessions, known_page_views
from connectors.generate.salesforce import LEAD_SOURCE, SalesforceData
from connectors.generate.world import FORM_NAMES, FORM_PAGES, World
from connectors.generate.writers import (
    MalformedLog,
    day_strings,
    dumps,
    iso_strings,
    iso_z,
    pick_malformed,
    write_csv_files,
)

LEAD_COLUMNS = [
    "id",
    "email",
    "firstName",
    "lastName",
    "company",
    "title",
    "phone",
    "industry",
    "numberOfEmployees",
    "website",
    "country",
    "leadSource",
    "leadScore",
    "unsubscribed",
    "sfdcLeadId",
    "sfdcContactId",
    "utm_source__c",
    "utm_medium__c",
    "utm_campaign__c",
    "gclid__c",
    "createdAt",
    "updatedAt",
]
ACTIVITY_COLUMNS = [
    "marketoGUID",
    "leadId",
    "activityDate",
    "activityTypeId",
    "campaignId",
    "primaryAttributeValueId",
    "primaryAttributeValue",
    "attributes",
]
FORM_IDS = {k: 1001 + i for i, k in enumerate(FORM_NAMES)}


def build_leads(
    world: World, ws: WebSessions, sf: SalesforceData, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lead versions (one row per lead per change) and the lead id of each person."""
    t1 = world.t1
    p = world.people[world.people["is_marketing"] & (world.people["lead_at"] > 0)]
    p = p[p["lead_at"] <= t1].sort_values(["lead_at", "person_idx"], kind="stable")
    comp_rows = world.companies.to_dict("records")
    s = ws.sessions
    form_cols = ["utm_source", "utm_medium", "utm_campaign", "click_id", "click_key"]
    fs = s[s["is_form"]]
    forms = dict(zip(fs["person_idx"].tolist(), fs[form_cols].to_dict("records"), strict=True))
    first_ch = world.touches.groupby("person_idx")["channel"].first()
    rows = []
    lead_of_person: dict[int, int] = {}
    dup_rows = []
    next_id = 100_001
    for r in p.itertuples(index=False):
        pi = int(r.person_idx)
        c = comp_rows[int(r.form_company_idx)]  # the company named on the form
        kind = int(rng.integers(0, 16))
        email = names.email_variant(r.email, kind) if kind < 5 else r.email
        romaji = rng.random() < 0.1 and r.is_jp
        first = r.first_romaji.title() if romaji else r.first_name
        last = r.last_romaji.title() if romaji else r.last_name
        company = names.company_variant(c, int(rng.integers(0, 6)))
        ph = (
            names.phone_variant(r.phone, int(rng.integers(0, 4)))
            if r.is_jp
            else names.us_phone_variant(r.phone, int(rng.integers(0, 3)))
        )
        f = forms.get(pi)
        base = {
            "email": email,
            "firstName": first,
            "lastName": last,
            "company": company,
            "title": r.title if rng.random() < 0.8 else None,
            "phone": ph if rng.random() < 0.85 else None,
            "industry": c["industry"] if rng.random() < 0.6 else None,
            "numberOfEmployees": int(c["employees"]) if rng.random() < 0.4 else None,
            "website": c["domain"] if rng.random() < 0.3 else None,
            "country": c["country"],
            "leadSource": LEAD_SOURCE.get(first_ch.get(pi, "direct"), "Web"),
            "leadScore": int(rng.integers(5, 40)),
            "unsubscribed": "false",
            "sfdcLeadId": None,
            "sfdcContactId": None,
            "utm_source__c": _blank(f["utm_source"]) if f is not None else None,
            "utm_medium__c": _blank(f["utm_medium"]) if f is not None else None,
            "utm_campaign__c": _blank(f["utm_campaign"]) if f is not None else None,
            "gclid__c": (
                _blank(f["click_id"]) if f is not None and f["click_key"] == "gclid" else None
            ),
        }
        lid = next_id
        next_id += 1
        lead_of_person[pi] = lid
        created = int(r.lead_at) + 1
        changes = [(created, {})]
        if pi in sf.lead_id and r.sf_lead_at > 0:
            changes.append((int(r.sf_lead_at) + 120, {"sfdcLeadId": sf.lead_id[pi]}))
        if r.mql_at > 0:
            changes.append((int(r.mql_at), {"leadScore": int(rng.integers(100, 160))}))
        if pi in sf.contact_id and sf.contact_at[pi] <= t1:
            changes.append((sf.contact_at[pi] + 300, {"sfdcContactId": sf.contact_id[pi]}))
        if 0 < r.unsubscribed_at <= t1:
            changes.append((int(r.unsubscribed_at), {"unsubscribed": "true"}))
        state = dict(base)
        for t, delta in sorted(changes, key=lambda x: x[0]):
            if t > t1:
                continue
            state.update(delta)
            rows.append(
                {
                    "id": lid,
                    **state,
                    "createdAt": iso_z(created),
                    "updatedAt": iso_z(t),
                    "_ts": t,
                    "_person": pi,
                }
            )
        if r.marketo_dup:
            t = created + int(rng.integers(30, 200)) * 86_400
            if t <= t1:
                alt = (
                    f"{r.first_romaji}.{r.last_romaji}@{names.FREE_MAIL[pi % 4]}"
                    if not r.is_freemail
                    else names.email_variant(r.email, 2)
                )
                dup_rows.append(
                    (
                        t,
                        pi,
                        dict(
                            base,
                            email=alt,
                            sfdcLeadId=None,
                            leadScore=5,
                            utm_source__c=None,
                            utm_medium__c=None,
                            utm_campaign__c=None,
                            gclid__c=None,
                            leadSource="Webinar",
                        ),
                    )
                )
    for t, pi, rec in sorted(dup_rows, key=lambda x: (x[0], x[1])):
        rows.append(
            {
                "id": next_id,
                **rec,
                "createdAt": iso_z(t),
                "updatedAt": iso_z(t),
                "_ts": t,
                "_person": pi,
            }
        )
        next_id += 1
    leads = pd.DataFrame(rows)
    people_map = pd.DataFrame(
        {"person_idx": list(lead_of_person), "marketo_id": list(lead_of_person.values())}
    )
    return leads, people_map


def _blank(v: object) -> object:
    return None if v in ("", None) else v


def write_leads(
    leads: pd.DataFrame, out_dir: Path, rng: np.random.Generator, malformed: MalformedLog
) -> dict[str, int]:
    """Daily files of leads changed that day (the last version of the day per lead)."""
    df = leads.copy()
    df["_date"] = day_strings(df["_ts"].to_numpy())
    df = df.sort_values(["_date", "_ts", "id"], kind="stable")
    df = df.drop_duplicates(["_date", "id"], keep="last")
    df = df.sort_values(["_date", "id"], kind="stable").reset_index(drop=True)
    df["numberOfEmployees"] = df["numberOfEmployees"].astype("Int64").astype(object)
    df["id"] = df["id"].astype(object)
    line = df.groupby("_date").cumcount().to_numpy() + 1
    specs = [
        ("numberOfEmployees", "500名以上", "non-numeric number"),
        ("createdAt", "2025/13/01 25:00", "unparseable datetime"),
        ("id", None, "missing required id"),
    ]
    for k, i in enumerate(pick_malformed(rng, len(df), 0.001, 3)):
        fld, val, reason = specs[k % 3]
        df.at[i, fld] = val
        malformed.add(
            "marketo", f"marketo/leads/{df.at[i, '_date']}.csv", line[i], fld, val, reason
        )
    files = write_csv_files(
        out_dir, "marketo/leads/" + df["_date"].to_numpy(dtype=object) + ".csv", df, LEAD_COLUMNS
    )
    return {"files": files, "rows": len(df)}


def build_activities(
    world: World,
    ws: WebSessions,
    events: pd.DataFrame,
    leads: pd.DataFrame,
    people_map: pd.DataFrame,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """All activities as one frame (vectorised per activity type)."""
    t1 = world.t1
    lead_id = np.full(len(world.people), -1, dtype=np.int64)
    lead_id[people_map["person_idx"].to_numpy()] = people_map["marketo_id"].to_numpy()
    ppl = world.people
    created = leads.groupby("id")["_ts"].min()
    parts = []

    def frame(ts, lid, type_id, campaign, pav_id, pav, attrs) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "_ts": np.asarray(ts, dtype=np.int64),
                "leadId": np.asarray(lid, dtype=np.int64),
                "activityTypeId": type_id,
                "campaignId": campaign,
                "primaryAttributeValueId": pav_id,
                "primaryAttributeValue": pav,
                "attributes": attrs,
            }
        )

    # 12 New Lead (every lead incl. duplicates)
    first = leads.drop_duplicates("id")
    parts.append(
        frame(
            created.reindex(first["id"]).to_numpy(),
            first["id"],
            12,
            5001,
            None,
            first["email"].str.strip().to_numpy(),
            [dumps([{"name": "Source Type", "value": "Web form fillout"}])] * len(first),
        )
    )
    # 2 Fill Out Form at the identifying session
    s = ws.sessions
    fs = s[s["is_form"] & (s["person_idx"] >= 0)]
    fs = fs[lead_id[fs["person_idx"].to_numpy()] > 0]
    f_ts = fs["ts"].to_numpy() + 85
    attrs = [
        dumps(
            [
                {"name": "Form Name", "value": FORM_NAMES[f]},
                {"name": "Webpage URL", "value": SITE + FORM_PAGES[f]},
                {"name": "Query Parameters", "value": q},
                {"name": "Referrer URL", "value": ref},
            ]
        )
        for f, q, ref in zip(fs["form"], fs["query"], fs["referrer"], strict=True)
    ]
    parts.append(
        frame(
            f_ts,
            lead_id[fs["person_idx"].to_numpy()],
            2,
            5002,
            [FORM_IDS[f] for f in fs["form"]],
            [FORM_NAMES[f] for f in fs["form"]],
            attrs,
        )
    )
    # 1 Visit Webpage: Munchkin sees ~90% of the identified page views of known cookies
    pv = known_page_views(ws, events)
    cookie_person = ws.cookies.set_index("cookie")["person_idx"]
    pv_person = cookie_person.reindex(pv["cookie"].to_numpy()).to_numpy()
    keep = (pv_person >= 0) & (rng.random(len(pv)) < 0.9)
    pv, pv_person = pv[keep], pv_person[keep]
    pv_lead = lead_id[pv_person]
    ok = pv_lead > 0
    pv, pv_lead = pv[ok], pv_lead[ok]
    attrs = [
        dumps(
            [
                {"name": "Webpage URL", "value": u},
                {"name": "Query Parameters", "value": q},
                {"name": "Referrer URL", "value": r},
            ]
        )
        for u, q, r in zip(pv["url"], pv["query"], pv["referrer"], strict=True)
    ]
    parts.append(
        frame(
            pv["ts_us"].to_numpy() // 1_000_000,
            pv_lead,
            1,
            None,
            None,
            pv["path"].to_numpy(),
            attrs,
        )
    )
    # 6/7/8/10/11 newsletters to subscribed leads created before the send
    nl = world.newsletters["ts"].to_numpy()
    main = people_map.merge(ppl[["person_idx", "lead_at", "unsubscribed_at"]], on="person_idx")
    li = np.repeat(np.arange(len(main)), len(nl))
    ni = np.tile(np.arange(len(nl)), len(main))
    la = main["lead_at"].to_numpy()[li]
    un = main["unsubscribed_at"].to_numpy()[li]
    send = (la < nl[ni]) & ((un == 0) | (un > nl[ni])) & (nl[ni] <= t1)
    li, ni = li[send], ni[send]
    mid = main["marketo_id"].to_numpy()[li]
    pid = main["person_idx"].to_numpy()[li]
    t_send = nl[ni] + rng.integers(0, 1800, size=len(li))
    name = np.array(
        [f"Newsletter {pd.Timestamp(int(t), unit='s'):%Y-%m}" for t in nl], dtype=object
    )[ni]
    prog = 6000 + ni
    email_attr = [dumps([{"name": "Campaign Run ID", "value": str(6000 + i)}]) for i in ni]
    parts.append(frame(t_send, mid, 6, prog, 7000 + ni, name, email_attr))
    bounced = rng.random(len(li)) < 0.03
    parts.append(
        frame(
            t_send[~bounced] + 20,
            mid[~bounced],
            7,
            prog[~bounced],
            7000 + ni[~bounced],
            name[~bounced],
            [email_attr[i] for i in np.flatnonzero(~bounced)],
        )
    )
    parts.append(
        frame(
            t_send[bounced] + 20,
            mid[bounced],
            8,
            prog[bounced],
            7000 + ni[bounced],
            name[bounced],
            [email_attr[i] for i in np.flatnonzero(bounced)],
        )
    )
    # clicks are the email touches of the journey; their send is opened too
    et = world.touches[world.touches["channel"] == "email"]
    et = et[lead_id[et["person_idx"].to_numpy()] > 0]
    e_ni = np.array([int(c.split(":")[1]) for c in et["campaign"]], dtype=np.int64)
    clicked = pd.MultiIndex.from_arrays([et["person_idx"].to_numpy(), e_ni])
    sent_idx = pd.MultiIndex.from_arrays([pid, ni])
    forced_open = sent_idx.isin(clicked)
    opened = ~bounced & ((rng.random(len(li)) < 0.25) | forced_open)
    t_open = np.minimum(t_send + rng.exponential(8 * 3600, len(li)).astype(np.int64), t1)
    parts.append(
        frame(
            t_open[opened],
            mid[opened],
            10,
            prog[opened],
            7000 + ni[opened],
            name[opened],
            [email_attr[i] for i in np.flatnonzero(opened)],
        )
    )
    c_ts = et["ts"].to_numpy() - 10
    c_lead = lead_id[et["person_idx"].to_numpy()]
    link = [
        dumps(
            [
                {
                    "name": "Link",
                    "value": f"{SITE}/blog/speed-to-lead?utm_source=marketo&utm_medium=email",
                }
            ]
        )
        for _ in range(len(et))
    ]
    nl_names = np.array(
        [f"Newsletter {pd.Timestamp(int(t), unit='s'):%Y-%m}" for t in nl], dtype=object
    )
    parts.append(frame(c_ts, c_lead, 11, 6000 + e_ni, 7000 + e_ni, nl_names[e_ni], link))
    # 104 webinar Registered / Attended
    wr = ppl[ppl["webinar_registered"] & (lead_id > 0) & (ppl["webinar_reg_at"] <= t1)]
    w_name = np.array(
        [f"Webinar {pd.Timestamp(int(t), unit='s'):%Y-%m}" for t in wr["webinar_at"]], dtype=object
    )
    w_prog = 8000 + np.searchsorted(world.webinars["ts"].to_numpy(), wr["webinar_at"].to_numpy())
    reg_attr = [
        dumps(
            [
                {"name": "New Status", "value": "Registered"},
                {"name": "Old Status", "value": "Not in Program"},
            ]
        )
    ] * len(wr)
    parts.append(
        frame(
            wr["webinar_reg_at"].to_numpy() + 100,
            lead_id[wr["person_idx"]],
            104,
            w_prog,
            w_prog,
            w_name,
            reg_attr,
        )
    )
    att = (wr["webinar_attended"] & (wr["webinar_at"] <= t1)).to_numpy()
    att_attr = [
        dumps(
            [
                {"name": "New Status", "value": "Attended"},
                {"name": "Old Status", "value": "Registered"},
            ]
        )
    ] * int(att.sum())
    parts.append(
        frame(
            wr["webinar_at"].to_numpy()[att] + 3600,
            lead_id[wr["person_idx"]][att],
            104,
            w_prog[att],
            w_prog[att],
            w_name[att],
            att_attr,
        )
    )
    # 22 score change at MQL, 9 unsubscribe
    mq = ppl[(ppl["mql_at"] > 0) & (lead_id > 0)]
    parts.append(
        frame(
            mq["mql_at"].to_numpy(),
            lead_id[mq["person_idx"]],
            22,
            5003,
            None,
            "Behavior Score",
            [
                dumps(
                    [
                        {"name": "Change Value", "value": "+50"},
                        {"name": "Reason", "value": "MQL threshold"},
                    ]
                )
            ]
            * len(mq),
        )
    )
    us = ppl[(ppl["unsubscribed_at"] > 0) & (lead_id > 0)]
    parts.append(
        frame(
            us["unsubscribed_at"].to_numpy(),
            lead_id[us["person_idx"]],
            9,
            5004,
            None,
            "Unsubscribe",
            [dumps([{"name": "Client IP Address", "value": "203.0.113.10"}])] * len(us),
        )
    )
    act = pd.concat(parts, ignore_index=True)
    act = act[act["_ts"] <= t1]
    act = act.sort_values(["_ts", "leadId", "activityTypeId"], kind="stable").reset_index(drop=True)
    act["marketoGUID"] = (np.arange(len(act)) + 30_000_001).astype(str)
    return act


def write_activities(
    act: pd.DataFrame, out_dir: Path, rng: np.random.Generator, malformed: MalformedLog
) -> dict[str, int]:
    """Daily activity files; ~10% of dates written in JST (+09:00) like some exports."""
    df = act.copy()
    ts = df["_ts"].to_numpy()
    df["_date"] = day_strings(ts)
    jst = rng.random(len(df)) < 0.1
    out = iso_strings(ts)
    out[jst] = iso_strings(ts[jst], "+09:00", 9)
    df["activityDate"] = out
    for col in ["leadId", "campaignId", "primaryAttributeValueId"]:
        df[col] = df[col].astype("Int64").astype(object)
    line = df.groupby("_date").cumcount().to_numpy() + 1
    specs = [
        ("activityDate", "2025-02-30T10:00:00Z", "unparseable datetime"),
        ("leadId", None, "missing required id"),
    ]
    for k, i in enumerate(pick_malformed(rng, len(df), 0.001, 2)):
        fld, val, reason = specs[k % 2]
        df.at[i, fld] = val
        malformed.add(
            "marketo", f"marketo/activities/{df.at[i, '_date']}.csv", line[i], fld, val, reason
        )
    files = write_csv_files(
        out_dir,
        "marketo/activities/" + df["_date"].to_numpy(dtype=object) + ".csv",
        df,
        ACTIVITY_COLUMNS,
    )
    return {"files": files, "rows": len(df)}
