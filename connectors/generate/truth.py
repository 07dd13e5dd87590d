"""Ground truth of the simulated world (never loaded): who is who, true effects, broken rows.

The identity benchmark scores the warehouse's person/account resolution against
``identities.csv``; attribution is checked against ``channel_effects.csv`` (the planted
per-stage channel lifts) and ``sequence_effects.csv`` (the planted order effect of one
segment); the loaders' quarantine against ``malformed_rows.csv``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from connectors.generate.ga4 import WebSessions
from connectors.generate.salesforce import SalesforceData
from connectors.generate.world import (
    BASE_LOGIT,
    CHANNEL_EFFECTS,
    CHANNELS,
    SEQUENCE_EFFECT,
    STAGE_CONVERSION,
    WAREHOUSE_CHANNEL,
    World,
)
from connectors.generate.writers import MalformedLog, write_csv


def identities(
    world: World, sf: SalesforceData, leads: pd.DataFrame, ws: WebSessions
) -> pd.DataFrame:
    """One row per source record: the true person and account behind it."""
    ppl = world.people.set_index("person_idx")
    acct_of_company = world.companies.set_index("company_idx")["true_account_id"]
    person_id = ppl["true_person_id"]
    person_acct = acct_of_company.reindex(ppl["company_idx"]).to_numpy()
    person_acct = pd.Series(person_acct, index=ppl.index)
    rows = []
    mk = leads.drop_duplicates("id")[["id", "_person"]]
    rows.append(
        pd.DataFrame(
            {
                "source_system": "marketo_lead",
                "source_id": mk["id"].astype(str),
                "true_person_id": person_id.reindex(mk["_person"]).to_numpy(),
                "true_account_id": person_acct.reindex(mk["_person"]).to_numpy(),
            }
        )
    )
    for label, mapping in [
        ("salesforce_lead", sf.lead_id),
        ("salesforce_lead", sf.extra_lead_id),
        ("salesforce_contact", sf.contact_id),
    ]:
        pis = list(mapping)
        rows.append(
            pd.DataFrame(
                {
                    "source_system": label,
                    "source_id": list(mapping.values()),
                    "true_person_id": person_id.reindex(pis).to_numpy(),
                    "true_account_id": person_acct.reindex(pis).to_numpy(),
                }
            )
        )
    acc = pd.DataFrame(sf.accounts)
    rows.append(
        pd.DataFrame(
            {
                "source_system": "salesforce_account",
                "source_id": acc["account_id"],
                "true_person_id": None,
                "true_account_id": acct_of_company.reindex(acc["company_idx"]).to_numpy(),
            }
        )
    )
    c = ws.cookies
    pi = c["person_idx"].to_numpy()
    known = pi >= 0
    rows.append(
        pd.DataFrame(
            {
                "source_system": "ga4_cookie",
                "source_id": c["user_pseudo_id"],
                "true_person_id": np.where(
                    known, person_id.reindex(np.maximum(pi, 0)).to_numpy(), None
                ),
                "true_account_id": np.where(
                    known, person_acct.reindex(np.maximum(pi, 0)).to_numpy(), None
                ),
            }
        )
    )
    out = pd.concat(rows, ignore_index=True)
    # a lead deleted in the CRM (IsDeleted, e.g. junk) is no record to resolve any more
    out["is_deleted"] = out["source_id"].isin(sf.deleted_leads) & (
        out["source_system"] == "salesforce_lead"
    )
    return out.sort_values(["source_system", "source_id"], kind="stable")


def people_truth(world: World) -> pd.DataFrame:
    """The true person with canonical attributes, touched channels and funnel timestamps."""
    p = world.people.copy()
    acct = world.companies.set_index("company_idx")["true_account_id"]
    p["true_account_id"] = acct.reindex(p["company_idx"]).to_numpy()
    p["email_normalized"] = p["email"].str.strip().str.lower()
    # the company the person names on forms (an agency's client), when not their own
    p["form_true_account_id"] = np.where(
        p["form_company_idx"] != p["company_idx"],
        acct.reindex(p["form_company_idx"]).to_numpy(),
        "",
    )
    cols = [
        "true_person_id",
        "true_account_id",
        "email_normalized",
        "first_name",
        "last_name",
        "title",
        "department",
        "is_freemail",
        "is_isp_mail",
        "sales_only",
        "form_true_account_id",
    ]
    cols += [f"touched_{c}" for c in CHANNELS]
    cols += ["scripted_journey"]
    out = p[cols].copy()
    for col in [
        "lead_at",
        "mql_at",
        "first_task_at",
        "sal_at",
        "sql_at",
        "converted_at",
        "close_at",
        "unsubscribed_at",
    ]:
        v = p[col].to_numpy()
        out[col] = np.where(
            v > 0, pd.to_datetime(v, unit="s", utc=True).strftime("%Y-%m-%dT%H:%M:%SZ"), ""
        )
    out["is_won"] = p["is_won"] & (p["close_at"] > 0)
    return out


def accounts_truth(world: World) -> pd.DataFrame:
    """The true companies, with the traps that make them hard to tell apart: the company a
    look-alike copies the name of, the parent whose domain a group company mails from, the
    agencies, and the building whose switchboard number several companies share."""
    c = world.companies
    ids = c["true_account_id"].to_numpy()

    def account_of(idx: pd.Series) -> list:
        return [ids[i] if i >= 0 else "" for i in idx.to_numpy()]

    out = c[
        [
            "true_account_id",
            "name",
            "domain",
            "phone",
            "corporate_number",
            "industry",
            "employees",
            "country",
            "legal_form",
            "is_agency",
        ]
    ].copy()
    out["lookalike_of_true_account_id"] = account_of(c["lookalike_of_idx"])
    out["parent_true_account_id"] = account_of(c["parent_company_idx"])
    out["shared_switchboard_building"] = [
        f"B{b:04d}" if b >= 0 else "" for b in c["building_id"].to_numpy()
    ]
    return out


def channel_effects() -> pd.DataFrame:
    """The planted log-odds per funnel stage and channel, with the warehouse channel it is
    rendered as and the attribution conversion type the stage feeds."""
    rows = [
        {
            "stage": stage,
            "channel": "(base)",
            "log_odds": base,
            "warehouse_channel": "",
            "conversion_type": STAGE_CONVERSION[stage],
        }
        for stage, base in BASE_LOGIT.items()
    ]
    rows += [
        {
            "stage": stage,
            "channel": ch,
            "log_odds": eff,
            "warehouse_channel": WAREHOUSE_CHANNEL[ch],
            "conversion_type": STAGE_CONVERSION[stage],
        }
        for ch, effs in CHANNEL_EFFECTS.items()
        for stage, eff in effs.items()
    ]
    return pd.DataFrame(rows)


def sequence_effects() -> pd.DataFrame:
    """The planted sequence: one row for the winning order, one for the same channels in
    the other order (log-odds bonus 0), as warehouse paths (channels joined by ' > '); the
    bonus applies at each stage of ``stage`` (joined by '+')."""
    seq = SEQUENCE_EFFECT
    return pd.DataFrame(
        [
            {
                "segment": seq["segment"],
                "min_employees": seq["min_employees"],
                "max_employees": seq["max_employees"],
                "stage": "+".join(seq["stages"]),
                "conversion_type": STAGE_CONVERSION[seq["stages"][-1]],
                "order": order,
                "path": " > ".join(WAREHOUSE_CHANNEL[c] for c in seq[order]),
                "log_odds_bonus": seq["log_odds"] if order == "planted" else 0.0,
                "share_of_segment": seq["share"] / 2,
            }
            for order in ("planted", "reversed")
        ]
    )


def write_truth(
    truth_dir: Path,
    world: World,
    sf: SalesforceData,
    leads: pd.DataFrame,
    ws: WebSessions,
    malformed: MalformedLog,
) -> dict[str, int]:
    truth_dir.mkdir(parents=True, exist_ok=True)
    tables = {
        "identities.csv": identities(world, sf, leads, ws),
        "people.csv": people_truth(world),
        "accounts.csv": accounts_truth(world),
        "channel_effects.csv": channel_effects(),
        "sequence_effects.csv": sequence_effects(),
        "malformed_rows.csv": malformed.frame(),
    }
    for name, frame in tables.items():
        write_csv(truth_dir / name, frame)
    return {name: len(frame) for name, frame in tables.items()}
