"""Render the world as Salesforce SOQL query pages (incremental weekly extracts).

Each record version is stamped with the moment it changed (``SystemModstamp`` or, for
objects without it, ``CreatedDate``) and lands in the first weekly extract after that
moment, a few of them one extract late. Leads walk through their statuses (with
LeadHistory rows), convert into Contact + Account + Opportunity, and opportunities walk
their stages (with OpportunityHistory rows); won deals renew or churn a year later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from connectors.generate import names
from connectors.generate.ids import sf_id
from connectors.generate.world import AD_CAMPAIGNS, DAY, HOUR, MINUTE, World
from connectors.generate.writers import (
    API_VERSION,
    MalformedLog,
    pick_malformed,
    sf_date,
    sf_datetime,
    write_soql_pages,
)

OBJECTS = [
    "User",
    "Campaign",
    "Account",
    "Contact",
    "Lead",
    "LeadHistory",
    "Opportunity",
    "OpportunityHistory",
    "OpportunityContactRole",
    "Task",
    "Event",
    "CampaignMember",
]
LEAD_SOURCE = {
    "paid_search": "Paid Search",
    "display": "Display",
    "paid_social": "Social Media",
    "organic_search": "Web",
    "referral": "Partner Referral",
    "direct": "Web",
    "email": "Email",
    "webinar": "Webinar",
}
STAGES = [
    ("Prospecting", 10.0),
    ("Qualification", 20.0),
    ("Needs Analysis", 40.0),
    ("Proposal/Price Quote", 60.0),
    ("Negotiation/Review", 80.0),
]
USERS = [
    ("佐藤 健", "Inside Sales"),
    ("田中 美咲", "Inside Sales"),
    ("Emily Clark", "Inside Sales"),
    ("鈴木 亮", "Inside Sales"),
    ("高橋 誠", "Field Sales Enterprise"),
    ("伊藤 直樹", "Field Sales Enterprise"),
    ("David Moore", "Field Sales Enterprise"),
    ("渡辺 舞", "Field Sales SMB"),
    ("山本 拓也", "Field Sales SMB"),
    ("中村 結衣", "Field Sales SMB"),
    ("小林 恵", "Customer Success"),
    ("加藤 修", "Customer Success"),
    ("Marketo Sync", "Marketing Operations"),
    ("木村 浩", "Inside Sales"),
]


def extract_schedule(t0: int, t1: int) -> np.ndarray:
    """Weekly extracts at 15:00 UTC from the world's fourth day on, plus a final one at the
    as-of instant (the newest pages always reach the end of the world)."""
    first = (t0 // DAY + 3) * DAY + 15 * HOUR
    weekly = list(range(first, t1 - 4 * DAY, 7 * DAY))
    return np.array([*weekly, t1 + 1], dtype=np.int64)


@dataclass
class SalesforceData:
    """Record versions per object: (change instant, record) pairs, plus id maps."""

    versions: dict[str, list[tuple[int, dict]]] = field(
        default_factory=lambda: {o: [] for o in OBJECTS}
    )
    lead_id: dict[int, str] = field(default_factory=dict)  # person -> main SF lead
    extra_lead_id: dict[int, str] = field(default_factory=dict)  # person -> re-inquiry lead
    contact_id: dict[int, str] = field(default_factory=dict)
    contact_at: dict[int, int] = field(default_factory=dict)
    account_of_contact: dict[int, str] = field(default_factory=dict)
    accounts: list[dict] = field(default_factory=list)  # account id -> company idx (truth)
    campaign_ids: dict[str, str] = field(default_factory=dict)
    deleted_leads: set[str] = field(default_factory=set)
    t0: int = 0  # the world's bounds (epoch seconds), carried for the writers
    t1: int = 0


class _Seq:
    """Per-object id sequences so ids are compact and deterministic."""

    def __init__(self) -> None:
        self.n: dict[str, int] = {}

    def __call__(self, sobject: str) -> str:
        self.n[sobject] = self.n.get(sobject, 0) + 1
        return sf_id(sobject, self.n[sobject])


def _attrs(sobject: str, rid: str | None) -> dict:
    return {"type": sobject, "url": f"/services/data/v{API_VERSION}/sobjects/{sobject}/{rid}"}


def _rec(sobject: str, rid: str, **fields: object) -> dict:
    return {"attributes": _attrs(sobject, rid), "Id": rid, **fields}


def build_salesforce(world: World, rng: np.random.Generator) -> SalesforceData:
    """Walk every person and deal through the CRM and record each version."""
    t0, t1 = world.t0, world.t1
    sf = SalesforceData(t0=t0, t1=t1)
    seq = _Seq()
    v = sf.versions
    users = []
    for i, (name, dept) in enumerate(USERS):
        uid = seq("User")
        users.append(uid)
        email = f"user{i + 1:02d}@revloop.example"
        v["User"].append(
            (t0, _rec("User", uid, Name=name, Email=email, Department=dept, IsActive=i != 13))
        )
    inside = [u for u, (_, d) in zip(users, USERS, strict=True) if d == "Inside Sales"]
    field_ent = users[4:7]
    field_smb = users[7:10]
    cs = users[10:12]

    # campaigns
    def campaign(
        key: str, name: str, ctype: str, start: int, end: int, cost: float | None, currency: str
    ) -> None:
        cid = seq("Campaign")
        sf.campaign_ids[key] = cid
        created = max(t0, start - 21 * DAY)
        v["Campaign"].append(
            (
                created,
                _rec(
                    "Campaign",
                    cid,
                    Name=name,
                    Type=ctype,
                    StartDate=sf_date(start),
                    EndDate=sf_date(end),
                    ActualCost=cost,
                    CurrencyIsoCode=currency,
                ),
            )
        )

    for i, ts in enumerate(world.webinars["ts"]):
        month = pd.Timestamp(int(ts), unit="s").strftime("%Y-%m")
        campaign(
            f"webinar:{i}",
            f"Webinar {month} RevOps実践セミナー",
            "Webinar",
            int(ts),
            int(ts),
            float(rng.integers(15, 40) * 10_000),
            "JPY",
        )
    for i, ts in enumerate(world.newsletters["ts"]):
        month = pd.Timestamp(int(ts), unit="s").strftime("%Y-%m")
        campaign(
            f"newsletter:{i}",
            f"Newsletter {month}",
            "Email",
            int(ts),
            int(ts) + 7 * DAY,
            None,
            "JPY",
        )
    for ad in AD_CAMPAIGNS:
        campaign(
            f"ad:{ad.campaign_id}",
            f"{ad.platform} | {ad.name}",
            "Advertisement",
            t0,
            t1,
            None,
            ad.currency,
        )
    # four trade shows a year apart-ish, at fixed days into the world (UTC midnight)
    trade_shows = [t0 + d * DAY for d in (103, 229, 341, 565)]
    for i, ts in enumerate(trade_shows):
        campaign(
            f"tradeshow:{i}",
            f"Trade Show {sf_date(ts)} マーケティングEXPO",
            "Trade Show",
            ts,
            ts + 2 * DAY,
            1_500_000.0,
            "JPY",
        )

    comp = list(world.companies.itertuples(index=False))
    people = list(world.people.itertuples(index=False))
    # accounts: some imported at the start, the rest created at first conversion
    acct_main: dict[int, str] = {}
    acct_dept: dict[int, str] = {}
    acct_type: dict[str, str] = {}
    acct_base: dict[str, dict] = {}
    acct_owner: dict[str, str] = {}

    def make_account(ci: int, at: int, dept: bool) -> str:
        aid = seq("Account")
        row = comp[ci]
        kind = int(rng.integers(0, 6))
        web = [
            f"https://www.{row.domain}/",
            f"www.{row.domain}",
            f"http://{row.domain}",
            row.domain,
        ][kind % 4]
        phone = (
            names.phone_variant(row.phone, kind)
            if row.is_jp
            else names.us_phone_variant(row.phone, kind)
        )
        name = row.name
        if dept:
            name = f"{name} {'開発部' if row.is_jp else 'R&D Division'}"
        owner = (field_ent if row.employees >= 500 else field_smb)[ci % 3]
        corp = row.corporate_number if (row.is_jp and rng.random() < 0.7) else None
        base = dict(
            Name=name,
            Website=web,
            Phone=phone,
            Industry=row.industry,
            NumberOfEmployees=int(row.employees),
            AnnualRevenue=float(row.annual_revenue),
            BillingCountry=row.country,
            Type="Prospect",
            OwnerId=owner,
            Corporate_Number__c=corp,
            CreatedDate=sf_datetime(at),
        )
        acct_base[aid] = base
        acct_owner[aid] = owner
        acct_type[aid] = "Prospect"
        v["Account"].append(
            (at, _rec("Account", aid, **base, SystemModstamp=sf_datetime(at), IsDeleted=False))
        )
        sf.accounts.append({"account_id": aid, "company_idx": ci, "is_department_split": dept})
        return aid

    def account_version(aid: str, at: int, type_: str) -> None:
        if acct_type[aid] == type_ or at > t1:
            return
        acct_type[aid] = type_
        base = dict(acct_base[aid], Type=type_)
        v["Account"].append(
            (at, _rec("Account", aid, **base, SystemModstamp=sf_datetime(at), IsDeleted=False))
        )

    pre_import = rng.random(len(comp)) < 0.25
    for ci in np.flatnonzero(pre_import):
        acct_main[ci] = make_account(int(ci), t0 + int(rng.integers(2 * HOUR, 3 * DAY)), False)

    def account_for(ci: int, dept_split: bool, at: int) -> str:
        if dept_split:
            if ci not in acct_dept:
                acct_dept[ci] = make_account(ci, at, True)
            return acct_dept[ci]
        if ci not in acct_main:
            acct_main[ci] = make_account(ci, at, False)
        return acct_main[ci]

    first_touch = world.touches.groupby("person_idx")["channel"].first()
    form_touch = world.touches[world.touches["is_form"]].set_index("person_idx")
    opp_queue: list[tuple] = []

    def contact(pi: int, at: int, aid: str, lead_source: str, email: str, opt_out: bool) -> str:
        p = people[pi]
        cid = seq("Contact")
        kind = int(rng.integers(0, 4))
        ph = (
            names.phone_variant(p.phone, kind) if p.is_jp else names.us_phone_variant(p.phone, kind)
        )
        base = dict(
            AccountId=aid,
            FirstName=p.first_name,
            LastName=p.last_name,
            Email=email,
            Phone=ph,
            Title=p.title,
            Department=p.department,
            LeadSource=lead_source,
            HasOptedOutOfEmail=opt_out,
            OwnerId=acct_owner[aid],
            CreatedDate=sf_datetime(at),
        )
        v["Contact"].append(
            (at, _rec("Contact", cid, **base, SystemModstamp=sf_datetime(at), IsDeleted=False))
        )
        sf.contact_id[pi] = cid
        sf.contact_at[pi] = at
        sf.account_of_contact[pi] = aid
        if 0 < p.unsubscribed_at <= t1 and p.unsubscribed_at > at:
            t = int(p.unsubscribed_at)
            v["Contact"].append(
                (
                    t,
                    _rec(
                        "Contact",
                        cid,
                        **dict(base, HasOptedOutOfEmail=True),
                        SystemModstamp=sf_datetime(t),
                        IsDeleted=False,
                    ),
                )
            )
        return cid

    def lead_record(
        pi: int,
        at: int,
        status_path: list[tuple[int, str]],
        source: str,
        email: str,
        company_kind: int,
    ) -> str:
        p = people[pi]
        # the company the person names on the form (an agency's client for some agency
        # people; the account it converts into is still the person's own company)
        c = comp[int(p.form_company_idx)]
        lid = seq("Lead")
        company = names.company_variant(c._asdict(), company_kind)
        if p.is_freemail and rng.random() < 0.3:
            # Free-mail web leads often leave the company blank; Salesforce cannot hold a
            # Lead without Company, so web-to-lead writes its placeholder.
            company = "[not provided]"
        kind = int(rng.integers(0, 4))
        ph = (
            names.phone_variant(p.phone, kind) if p.is_jp else names.us_phone_variant(p.phone, kind)
        )
        owner = inside[pi % len(inside)]
        base = dict(
            FirstName=p.first_name,
            LastName=p.last_name,
            Email=email,
            Phone=ph,
            Company=company,
            Website=None if rng.random() < 0.6 else c.domain,
            Title=p.title,
            Industry=c.industry if rng.random() < 0.7 else None,
            NumberOfEmployees=int(c.employees) if rng.random() < 0.5 else None,
            LeadSource=source,
            Status="Open",
            IsConverted=False,
            ConvertedDate=None,
            ConvertedAccountId=None,
            ConvertedContactId=None,
            ConvertedOpportunityId=None,
            HasOptedOutOfEmail=False,
            OwnerId=owner,
            CreatedDate=sf_datetime(at),
        )
        v["Lead"].append(
            (at, _rec("Lead", lid, **base, SystemModstamp=sf_datetime(at), IsDeleted=False))
        )
        state = dict(base)
        events = sorted(
            status_path
            + ([(int(p.unsubscribed_at), "__optout")] if 0 < p.unsubscribed_at <= t1 else [])
        )
        for t, status in events:
            if t <= at or t > t1:
                continue
            if status == "__optout":
                state["HasOptedOutOfEmail"] = True
            elif status == "Converted":
                acct = account_for(int(p.company_idx), bool(p.dept_split), t)
                cid = contact(pi, t, acct, source, email, state["HasOptedOutOfEmail"])
                oid = seq("Opportunity")
                opp_queue.append((pi, oid, acct, cid, t, source))
                state.update(
                    Status="Converted",
                    IsConverted=True,
                    ConvertedDate=sf_date(t),
                    ConvertedAccountId=acct,
                    ConvertedContactId=cid,
                    ConvertedOpportunityId=oid,
                )
                _history(lid, "Status", state_status[0], "Converted", t)
                state_status[0] = "Converted"
            else:
                _history(lid, "Status", state_status[0], status, t)
                state_status[0] = status
                state["Status"] = status
            v["Lead"].append(
                (t, _rec("Lead", lid, **state, SystemModstamp=sf_datetime(t), IsDeleted=False))
            )
        return lid

    def _history(lid: str, fld: str, old: str, new: str, t: int) -> None:
        hid = seq("LeadHistory")
        v["LeadHistory"].append(
            (
                t,
                {
                    "attributes": _attrs("LeadHistory", hid),
                    "Id": hid,
                    "LeadId": lid,
                    "Field": fld,
                    "OldValue": old,
                    "NewValue": new,
                    "CreatedDate": sf_datetime(t),
                },
            )
        )

    state_status = ["Open"]
    task_queue: list[tuple] = []
    for p in people:
        pi = int(p.person_idx)
        if not p.sf_synced or p.sf_lead_at == 0:
            continue
        ch = first_touch.get(pi, "direct")
        source = LEAD_SOURCE.get(ch, "Web")
        path = [
            (int(p.mql_at), "MQL"),
            (int(p.first_task_at), "Working"),
            (int(p.sal_at), "SAL"),
            (int(p.sql_at), "Qualified"),
            (int(p.converted_at), "Converted"),
            (int(p.recycled_at), "Recycled"),
            (int(p.disqualified_at), "Disqualified"),
        ]
        path = [(t, s) for t, s in path if t > 0]
        email = p.email.strip() if rng.random() < 0.85 else p.email.upper()
        state_status[0] = "Open"
        lid = lead_record(pi, int(p.sf_lead_at), path, source, email, int(rng.integers(0, 6)))
        sf.lead_id[pi] = lid
        if p.first_task_at > 0:
            task_queue.append((pi, lid, None, int(p.first_task_at), inside[pi % len(inside)]))
        # a few junk/duplicate leads get deleted later (queryAll shows IsDeleted true)
        if p.converted_at == 0 and p.mql_at == 0 and rng.random() < 0.03:
            t = int(p.sf_lead_at) + int(rng.integers(3 * DAY, 60 * DAY))
            if t <= t1:
                last = next(r for _, r in reversed(v["Lead"]) if r["Id"] == lid)
                v["Lead"].append((t, dict(last, SystemModstamp=sf_datetime(t), IsDeleted=True)))
                sf.deleted_leads.add(lid)
        if p.reinquiry_lead and p.converted_at > 0:
            # the same person re-imported as a new Lead from a trade-show list
            ts_i = int(np.searchsorted(trade_shows, p.converted_at))
            if ts_i < len(trade_shows) and trade_shows[ts_i] + DAY <= t1:
                t = trade_shows[ts_i] + DAY + int(rng.integers(HOUR, 10 * HOUR))
                state_status[0] = "Open"
                elid = lead_record(
                    pi,
                    t,
                    [],
                    "Trade Show",
                    names.email_variant(p.email, 1).strip(),
                    int(rng.integers(0, 6)),
                )
                sf.extra_lead_id[pi] = elid
                _member(sf, seq, v, f"tradeshow:{ts_i}", elid, None, "Responded", t, t)

    _opportunities(world, rng, sf, seq, opp_queue, account_version, acct_owner, cs, task_queue)
    _sales_only_contacts(world, rng, sf, seq, contact, opp_queue)
    _tasks(rng, sf, seq, task_queue)
    _campaign_members(world, rng, sf, seq, form_touch)
    return sf


def _member(
    sf: SalesforceData,
    seq: _Seq,
    v: dict,
    key: str,
    lead: str | None,
    contact: str | None,
    status: str,
    created: int,
    responded: int | None,
) -> None:
    mid = seq("CampaignMember")
    v["CampaignMember"].append(
        (
            max(created, responded or 0),
            {
                "attributes": _attrs("CampaignMember", mid),
                "Id": mid,
                "CampaignId": sf.campaign_ids[key],
                "LeadId": lead,
                "ContactId": contact,
                "Status": status,
                "HasResponded": responded is not None,
                "FirstRespondedDate": sf_date(responded) if responded else None,
                "CreatedDate": sf_datetime(created),
            },
        )
    )


def _opportunities(
    world: World,
    rng: np.random.Generator,
    sf: SalesforceData,
    seq: _Seq,
    queue: list[tuple],
    account_version,
    acct_owner: dict,
    cs: list[str],
    task_queue: list[tuple],
) -> None:
    """New business deals from conversions, then renewals (or churn) and expansions."""
    t1 = world.t1
    people = list(world.people.itertuples(index=False))
    comp = list(world.companies.itertuples(index=False))
    by_person = {
        k: list(zip(g["ts"], g["channel"], g["campaign"], strict=True))
        for k, g in world.touches.groupby("person_idx")
    }
    v = sf.versions
    won_accounts: set[str] = set()
    queue = sorted(queue, key=lambda q: q[4])
    pending = list(queue)
    while pending:
        pi, oid, acct, cid, created, source, *rest = pending.pop(0)
        p = people[pi]
        c = comp[int(p.company_idx)]
        otype = rest[0] if rest else ("Expansion" if acct in won_accounts else "New Business")
        currency = "JPY" if c.is_jp else "USD"
        size = (c.employees / 100) ** 0.4
        amount = float(np.exp(rng.normal(np.log(1_800_000 * size), 0.5)))
        if otype == "Expansion":
            amount *= 0.35
        if rest:
            amount = rest[1]
        amount = round(amount, -4) if currency == "JPY" else round(amount / 150, -2)
        if otype == "New Business":
            close_at, won = int(p.close_at), bool(p.is_won)
        elif otype == "Renewal":
            close_at, won = created + 65 * DAY, bool(rng.random() < 0.8)
        else:
            close_at, won = (
                created + int(rng.lognormal(np.log(40 * DAY), 0.3)),
                bool(rng.random() < 0.55),
            )
        owner = cs[pi % 2] if otype == "Renewal" else acct_owner[acct]
        name = f"{c.name} - {otype} {sf_date(created)[:7]}"
        camp = (
            _opp_campaign(world, sf, by_person.get(pi, []), created)
            if otype == "New Business"
            else None
        )
        stages = STAGES if otype != "Renewal" else [STAGES[0], STAGES[4]]
        n_reached = len(stages) if won else int(rng.integers(1, len(stages) + 1))
        span = max(close_at - created, DAY)
        times = [created + int(span * k / (n_reached + 1)) for k in range(n_reached)]
        expected = sf_date(created + 60 * DAY) if otype != "Renewal" else sf_date(close_at)
        base = dict(
            AccountId=acct,
            Name=name,
            Type=otype,
            Amount=amount,
            CurrencyIsoCode=currency,
            CloseDate=expected,
            IsClosed=False,
            IsWon=False,
            LeadSource=source,
            CampaignId=camp,
            OwnerId=owner,
            CreatedDate=sf_datetime(created),
        )
        steps = [(t, s, prob) for t, (s, prob) in zip(times, stages[:n_reached], strict=True)]
        steps.append((close_at, "Closed Won" if won else "Closed Lost", 100.0 if won else 0.0))
        for k, (t, stage, prob) in enumerate(steps):
            if t > t1:
                break
            closed = stage.startswith("Closed")
            rec = dict(
                base,
                StageName=stage,
                Probability=prob,
                IsClosed=closed,
                IsWon=stage == "Closed Won",
            )
            if closed:
                rec["CloseDate"] = sf_date(t)
            if stage == "Proposal/Price Quote":
                base["Amount"] = rec["Amount"] = round(amount * 0.95, -2)
            v["Opportunity"].append(
                (t, _rec("Opportunity", oid, **rec, SystemModstamp=sf_datetime(t), IsDeleted=False))
            )
            hid = seq("OpportunityHistory")
            v["OpportunityHistory"].append(
                (
                    t,
                    {
                        "attributes": _attrs("OpportunityHistory", hid),
                        "Id": hid,
                        "OpportunityId": oid,
                        "StageName": stage,
                        "Amount": rec["Amount"],
                        "CloseDate": rec["CloseDate"],
                        "CreatedDate": sf_datetime(t),
                    },
                )
            )
            if k == 0:
                rid = seq("OpportunityContactRole")
                v["OpportunityContactRole"].append(
                    (
                        t,
                        {
                            "attributes": _attrs("OpportunityContactRole", rid),
                            "Id": rid,
                            "OpportunityId": oid,
                            "ContactId": cid,
                            "Role": "Decision Maker",
                            "IsPrimary": True,
                            "CreatedDate": sf_datetime(t + 5 * MINUTE),
                        },
                    )
                )
        # sales activities on the deal: calls/emails, a quote, meetings
        end = min(close_at, t1)
        for t in sorted(
            created + (rng.random(int(rng.poisson(3))) * max(end - created, 1)).astype(np.int64)
        ):
            task_queue.append((pi, cid, oid, int(t), owner))
        n_meet = 1 + int(rng.poisson(1.2))
        for t in sorted(created + (rng.random(n_meet) * max(end - created, 1)).astype(np.int64)):
            if t > t1:
                continue
            t = int(t) - int(t) % (30 * MINUTE)
            eid = seq("Event")
            v["Event"].append(
                (
                    t - 2 * DAY,
                    {
                        "attributes": _attrs("Event", eid),
                        "Id": eid,
                        "WhoId": cid,
                        "WhatId": oid,
                        "Subject": ["商談", "Discovery meeting", "Demo", "提案説明"][
                            int(rng.integers(0, 4))
                        ],
                        "Type": "Meeting",
                        "StartDateTime": sf_datetime(t),
                        "EndDateTime": sf_datetime(t + HOUR),
                        "OwnerId": owner,
                        "CreatedDate": sf_datetime(max(created, t - 2 * DAY)),
                    },
                )
            )
        if close_at > t1:
            continue
        if won:
            won_accounts.add(acct)
            account_version(acct, close_at, "Customer")
            if otype in ("New Business", "Renewal") and close_at + 300 * DAY <= t1:
                pending.append(
                    (
                        pi,
                        seq("Opportunity"),
                        acct,
                        cid,
                        close_at + 300 * DAY,
                        "Existing Customer",
                        "Renewal",
                        amount,
                    )
                )
            if otype == "New Business" and rng.random() < 0.3:
                t = close_at + int(rng.integers(60, 300)) * DAY
                if t <= t1:
                    pending.append(
                        (
                            pi,
                            seq("Opportunity"),
                            acct,
                            cid,
                            t,
                            "Existing Customer",
                            "Expansion",
                            amount * 0.35,
                        )
                    )
            pending.sort(key=lambda q: q[4])
        elif otype == "Renewal":
            account_version(acct, close_at, "Former Customer")


def _opp_campaign(
    world: World, sf: SalesforceData, touches: list[tuple], created: int
) -> str | None:
    """Primary campaign: the last webinar attended or paid touch before the deal."""
    for ts, channel, camp in reversed([t for t in touches if t[0] < created]):
        if channel == "webinar":
            wi = int(np.searchsorted(world.webinars["ts"].to_numpy(), ts))
            return sf.campaign_ids.get(f"webinar:{wi}")
        if channel in ("paid_search", "display", "paid_social") and camp:
            return sf.campaign_ids.get(f"ad:{camp}")
    return None


def _sales_only_contacts(
    world: World,
    rng: np.random.Generator,
    sf: SalesforceData,
    seq: _Seq,
    contact,
    opp_queue: list[tuple],
) -> None:
    """Buying-committee contacts sales enters by hand, at companies with a deal."""
    t1 = world.t1
    people = world.people
    comp_of = people["company_idx"].to_numpy()
    first_deal: dict[int, tuple] = {}
    for q in sorted(opp_queue, key=lambda q: q[4]):
        ci = int(comp_of[q[0]])
        first_deal.setdefault(ci, q)
    for p in people[people["sales_only"]].itertuples(index=False):
        q = first_deal.get(int(p.company_idx))
        if q is None:
            continue
        t = q[4] + int(rng.integers(DAY, 20 * DAY))
        if t > t1:
            continue
        email = p.corporate_email if rng.random() < 0.9 else None
        cid = contact(int(p.person_idx), t, q[2], "Sales Generated", email, False)
        rid = seq("OpportunityContactRole")
        sf.versions["OpportunityContactRole"].append(
            (
                t,
                {
                    "attributes": _attrs("OpportunityContactRole", rid),
                    "Id": rid,
                    "OpportunityId": q[1],
                    "ContactId": cid,
                    "Role": ["Influencer", "Technical Buyer", "Economic Buyer"][
                        int(rng.integers(0, 3))
                    ],
                    "IsPrimary": False,
                    "CreatedDate": sf_datetime(t),
                },
            )
        )


def _tasks(rng: np.random.Generator, sf: SalesforceData, seq: _Seq, queue: list[tuple]) -> None:
    """Calls and e-mails: the first MQL touch, follow-ups, and deal activity."""
    t1 = sf.t1
    for _pi, who, what, t, owner in queue:
        times = [t]
        if what is None:  # lead follow-ups over the next two weeks
            times += sorted(t + (rng.random(int(rng.poisson(1.5))) * 14 * DAY).astype(int))
        for k, tt in enumerate(times):
            tt = int(tt)
            if tt > t1:
                continue
            roll = rng.random()
            subtype = "Call" if roll < 0.55 else ("Email" if roll < 0.9 else "Task")
            subject = {
                "Call": "Call" if k else "初回架電 / First call",
                "Email": "Email: フォローアップ",
                "Task": "見積送付 / Quote sent",
            }[subtype]
            tid = seq("Task")
            sf.versions["Task"].append(
                (
                    tt,
                    {
                        "attributes": _attrs("Task", tid),
                        "Id": tid,
                        "WhoId": who,
                        "WhatId": what,
                        "Subject": subject,
                        "Type": subtype if subtype != "Task" else "Other",
                        "TaskSubtype": subtype,
                        "Status": "Completed",
                        "ActivityDate": sf_date(tt),
                        "CallDurationInSeconds": int(rng.integers(0, 900))
                        if subtype == "Call"
                        else None,
                        "OwnerId": owner,
                        "CreatedDate": sf_datetime(tt),
                    },
                )
            )


def _campaign_members(
    world: World, rng: np.random.Generator, sf: SalesforceData, seq: _Seq, form_touch: pd.DataFrame
) -> None:
    """Webinar registrants/attendees and ad-sourced leads as campaign members."""
    t1 = world.t1
    v = sf.versions
    forms = {
        int(k): (ch, camp)
        for k, ch, camp in zip(
            form_touch.index, form_touch["channel"], form_touch["campaign"], strict=True
        )
    }
    for p in world.people.itertuples(index=False):
        pi = int(p.person_idx)
        lead = sf.lead_id.get(pi)
        if lead is None or lead in sf.deleted_leads:
            continue
        if p.webinar_registered and p.webinar_reg_at <= t1:
            wi = int(np.searchsorted(world.webinars["ts"].to_numpy(), p.webinar_at))
            created = max(int(p.webinar_reg_at), int(p.sf_lead_at))
            use_contact = pi in sf.contact_id and sf.contact_at[pi] <= created
            attended = bool(p.webinar_attended) and p.webinar_at <= t1
            _member(
                sf,
                seq,
                v,
                f"webinar:{wi}",
                None if use_contact else lead,
                sf.contact_id[pi] if use_contact else None,
                "Attended" if attended else "Registered",
                created,
                int(p.webinar_at) if attended else None,
            )
        ch, camp = forms.get(pi, ("", ""))
        if camp and ch in ("paid_search", "display", "paid_social"):
            _member(
                sf,
                seq,
                v,
                f"ad:{camp}",
                lead,
                None,
                "Responded",
                int(p.sf_lead_at),
                int(p.sf_lead_at),
            )


def write_salesforce(
    sf: SalesforceData, out_dir: Path, rng: np.random.Generator, malformed: MalformedLog
) -> dict[str, dict[str, int]]:
    """Write every object's versions into weekly incremental extracts (some arrive late)."""
    schedule = extract_schedule(sf.t0, sf.t1)
    counts: dict[str, dict[str, int]] = {}
    for sobject in OBJECTS:
        versions = sf.versions[sobject]
        if not versions:
            continue
        when = np.array([t for t, _ in versions], dtype=np.int64)
        slot = np.searchsorted(schedule, when, side="left")
        late = rng.random(len(slot)) < 0.015
        slot = np.minimum(slot + late, len(schedule) - 1)
        order = np.lexsort((np.arange(len(slot)), when, slot))
        records = [versions[i][1] for i in order]
        slots = slot[order]
        bad = _malform(sobject, records, rng)
        n_files = 0
        start = 0
        bad_pos = {i: spec for i, spec in bad}
        for s in np.unique(slots):
            end = start + int((slots == s).sum())
            chunk = records[start:end]
            paths = write_soql_pages(out_dir, out_dir, sobject, int(schedule[s]), chunk)
            for i in range(start, end):
                if i in bad_pos:
                    page, row = divmod(i - start, 2000)
                    fld, val, reason = bad_pos[i]
                    malformed.add("salesforce", paths[page].as_posix(), row + 1, fld, val, reason)
            n_files += len(paths)
            start = end
        counts[sobject] = {"files": n_files, "rows": len(records)}
    return counts


def _malform(
    sobject: str, records: list[dict], rng: np.random.Generator
) -> list[tuple[int, tuple]]:
    """Break ~0.1% of Lead/Opportunity rows the ways real exports do."""
    specs = {
        "Lead": [
            ("NumberOfEmployees", "約500名", "non-numeric number"),
            ("CreatedDate", "2025-02-30T25:61:00.000+0000", "unparseable datetime"),
            ("Id", None, "missing required id"),
        ],
        "Opportunity": [("Amount", "TBD", "non-numeric number")],
    }.get(sobject)
    if not specs:
        return []
    out = []
    for k, i in enumerate(pick_malformed(rng, len(records), 0.001, len(specs))):
        fld, val, reason = specs[k % len(specs)]
        rec = dict(records[i])
        rec[fld] = val
        if fld == "Id":
            rec["attributes"] = _attrs(sobject, None)
        records[i] = rec
        out.append((int(i), (fld, val, reason)))
    return out
