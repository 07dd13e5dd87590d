"""The seven shipped sync YAMLs, unmodified, against payload tables shaped like the dbt contracts.

Proves the shipped mappings name fields the CRMs know (a typo would come back as a reject
from the sandbox) and that a second run with the same payload sends nothing. The payloads
hold one duplicate each for Lead, Contact and Account (issue 18, Build 9): before, both
records got the unique revloop id and the second was refused DUPLICATE_VALUE every night;
now the survivor holds the id and the other record Revloop_Duplicate_Of__c = its Id.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import requests

from reverse_etl.destinations import HubSpotDestination, RetryPolicy, SalesforceDestination
from reverse_etl.engine import run_syncs

TOKEN = "shipped-syncs-token"


def create(url: str, obj: str, body: dict) -> str:
    r = requests.post(
        f"{url}/services/data/v62.0/sobjects/{obj}",
        json=body,
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def build_payloads(wh: Path, url: str) -> None:
    leads = [create(url, "Lead", {"LastName": f"L{i}", "Company": "Acme"}) for i in range(3)]
    contacts = [create(url, "Contact", {"LastName": f"C{i}"}) for i in range(3)]
    accounts = [create(url, "Account", {"Name": f"A{i}"}) for i in range(2)]
    campaigns = [create(url, "Campaign", {"Name": f"K{i}"}) for i in range(2)]
    opportunities = [
        create(
            url,
            "Opportunity",
            {"Name": f"O{i}", "StageName": "Prospecting", "CloseDate": "2026-12-01"},
        )
        for i in range(2)
    ]
    person = (
        "VARCHAR, Revloop_Person_Id__c VARCHAR, Revloop_Duplicate_Of__c VARCHAR, "
        "Revloop_Score__c DOUBLE, Revloop_Grade__c "
        "VARCHAR, Revloop_MQL_Date__c DATE, Revloop_First_Touch_Channel__c VARCHAR, "
        "Revloop_Last_Touch_Channel__c VARCHAR, Revloop_Attributed_Channel__c VARCHAR, "
        "Revloop_Existing_Customer__c BOOLEAN, Revloop_Lost_Deal__c BOOLEAN, has_consent BOOLEAN"
    )
    with duckdb.connect(str(wh)) as con:
        con.execute("CREATE SCHEMA reverse_etl")
        for table, ids in (
            ("sync_salesforce__lead", leads),
            ("sync_salesforce__contact", contacts),
        ):
            con.execute(f"CREATE TABLE reverse_etl.{table} (Id {person})")
            # records 0 and 1 are one person: the id on the survivor (0), a pointer on 1
            con.executemany(
                f"INSERT INTO reverse_etl.{table} VALUES "
                "(?, ?, ?, ?, 'A', DATE '2026-04-01', 'paid_search', 'email', 'paid_search', "
                "false, ?, ?)",
                [
                    (
                        rid,
                        None if i == 1 else f"per_{table[-4:]}{i}",
                        ids[0] if i == 1 else None,
                        50.0 + i,
                        i == 1,
                        i != 2,
                    )
                    for i, rid in enumerate(ids)
                ],
            )
        con.execute(
            "CREATE TABLE reverse_etl.sync_salesforce__account (Id VARCHAR, "
            "Revloop_Account_Id__c VARCHAR, Revloop_Duplicate_Of__c VARCHAR, Revloop_LTV__c "
            "DOUBLE, Revloop_Churn_Risk__c VARCHAR, Revloop_Revenue_To_Date__c DOUBLE, "
            "Revloop_Churn_Risk_Score__c DOUBLE, Revloop_Churn_Risk_Reason__c VARCHAR, "
            "has_consent BOOLEAN)"
        )
        # two Salesforce accounts of one resolved account acc_0: the id on the first only
        con.executemany(
            "INSERT INTO reverse_etl.sync_salesforce__account VALUES (?, ?, ?, ?, 'high', ?, "
            "60.0, 'No recent touches: none in 90 days (last 2026-06-03)', true)",
            [
                (rid, None if i else "acc_0", accounts[0] if i else None, 1000.0, 500.0)
                for i, rid in enumerate(accounts)
            ],
        )
        con.execute(
            "CREATE TABLE reverse_etl.sync_salesforce__opportunity (Id VARCHAR, "
            "Revloop_Days_In_Stage__c DOUBLE, Revloop_Stalled_Web_Visits__c BOOLEAN, "
            "has_consent BOOLEAN)"
        )
        con.executemany(
            "INSERT INTO reverse_etl.sync_salesforce__opportunity VALUES (?, ?, ?, true)",
            [(rid, 30.0 + i, i == 0) for i, rid in enumerate(opportunities)],
        )
        con.execute(
            "CREATE TABLE reverse_etl.sync_salesforce__campaign (Id VARCHAR, "
            "Revloop_Attributed_Pipeline__c DOUBLE, Revloop_Attributed_Revenue__c DOUBLE, "
            "has_consent BOOLEAN)"
        )
        con.executemany(
            "INSERT INTO reverse_etl.sync_salesforce__campaign VALUES (?, ?, ?, true)",
            [(rid, 12345.5, 2000.0) for rid in campaigns],
        )
        con.execute(
            "CREATE TABLE reverse_etl.sync_hubspot__contact AS SELECT 'p' || i || '@x.example' "
            "AS email, 'per_' || i AS revloop_person_id, 10.0 * i AS revloop_score, 'B' AS "
            "revloop_grade, CASE WHEN i > 0 THEN DATE '2026-02-01' + i::INTEGER END "
            "AS revloop_mql_date, "
            "'organic' AS revloop_first_touch_channel, i = 2 AS revloop_existing_customer, "
            "false AS revloop_lost_deal, true AS has_consent FROM range(4) t(i)"
        )
        con.execute(
            "CREATE TABLE reverse_etl.sync_hubspot__company AS SELECT 'acc_' || i AS "
            "revloop_account_id, 'co' || i || '.example' AS domain, 'Co ' || i AS name, "
            "100.0 * i AS revloop_ltv, 'low' AS revloop_churn_risk, 10.0 * i AS "
            "revloop_churn_risk_score, 'Renewal close: term ends 2026-11-11' AS "
            "revloop_churn_risk_reason, true AS has_consent FROM range(3) t(i)"
        )


def test_shipped_syncs_end_to_end(tmp_path: Path) -> None:
    from sandbox.server import start_background

    crm = start_background(0, tmp_path / "crm.sqlite", None, TOKEN)
    try:
        wh = tmp_path / "w.duckdb"
        build_payloads(wh, crm.url)
        retry = RetryPolicy(max_attempts=3, base_delay=0.01)
        dests = {
            "salesforce": SalesforceDestination(crm.url, TOKEN, retry=retry),
            "hubspot": HubSpotDestination(crm.url, TOKEN, retry=retry),
        }
        results = {r.name: r for r in run_syncs(wh, destinations=dests)}
        got = {n: (r.status, r.succeeded, r.rejected) for n, r in results.items()}
        assert got == {
            "hubspot_company": ("succeeded", 3, 0),
            "hubspot_contact": ("succeeded", 4, 0),
            "salesforce_account": ("succeeded", 2, 0),
            "salesforce_campaign": ("succeeded", 2, 0),
            "salesforce_contact": ("succeeded", 2, 0),  # the third has no consent
            "salesforce_lead": ("succeeded", 2, 0),
            "salesforce_opportunity": ("succeeded", 2, 0),
        }
        again = run_syncs(wh, destinations=dests)
        assert [(r.sent, r.api_calls) for r in again] == [(0, 0)] * 7
        rows = requests.get(
            f"{crm.url}/services/data/v62.0/query",
            params={
                "q": "SELECT Revloop_Score__c, Revloop_Lost_Deal__c, Revloop_MQL_Date__c "
                "FROM Lead WHERE Revloop_Score__c > 0"
            },
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        ).json()["records"]
        assert sorted((x["Revloop_Score__c"], x["Revloop_Lost_Deal__c"]) for x in rows) == [
            (50.0, False),
            (51.0, True),
        ]
        assert {x["Revloop_MQL_Date__c"] for x in rows} == {"2026-04-01"}
        deals = requests.get(
            f"{crm.url}/services/data/v62.0/query",
            params={
                "q": "SELECT Revloop_Days_In_Stage__c, Revloop_Stalled_Web_Visits__c "
                "FROM Opportunity"
            },
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        ).json()["records"]
        assert sorted(
            (x["Revloop_Days_In_Stage__c"], x["Revloop_Stalled_Web_Visits__c"]) for x in deals
        ) == [(30.0, True), (31.0, False)]
        # Build 9 duplicates: one person's two leads / contacts and one account's two
        # Salesforce accounts hold the unique revloop id once, the other record a pointer
        for obj, key in (("Lead", "Person"), ("Contact", "Person"), ("Account", "Account")):
            soql = f"SELECT Id, Revloop_{key}_Id__c, Revloop_Duplicate_Of__c FROM {obj}"
            got = query(crm.url, soql)
            ids = {
                x["Id"]: (x[f"Revloop_{key}_Id__c"], x["Revloop_Duplicate_Of__c"])
                for x in got
                if x[f"Revloop_{key}_Id__c"] or x["Revloop_Duplicate_Of__c"]
            }
            (survivor,) = [i for i, (rid, dup) in ids.items() if rid]
            assert sorted(ids.values(), key=str) == sorted(
                [(ids[survivor][0], None), (None, survivor)], key=str
            ), obj
        # control: the old payload, the id on both records, is refused by the org
        lead_ids = [x["Id"] for x in query(crm.url, "SELECT Id FROM Lead ORDER BY Id")]
        refused = requests.patch(
            f"{crm.url}/services/data/v62.0/composite/sobjects",
            json={
                "allOrNone": False,
                "records": [
                    {
                        "attributes": {"type": "Lead"},
                        "Id": lead_ids[1],
                        "Revloop_Person_Id__c": "per_lead0",
                    }
                ],
            },
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        ).json()
        assert refused[0]["errors"][0]["statusCode"] == "DUPLICATE_VALUE"
    finally:
        crm.stop()


def query(url: str, soql: str) -> list[dict]:
    r = requests.get(
        f"{url}/services/data/v62.0/query",
        params={"q": soql},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return r.json()["records"]


def test_shipped_syncs_state_their_reject_policy() -> None:
    """Every shipped sync says in its own file after how many refusals a record is parked
    (a default hidden in code is a policy nobody reviews); 3 for all seven today."""
    import yaml

    from reverse_etl.engine.config import SYNCS_DIR, load_sync_file

    files = sorted(SYNCS_DIR.glob("*.yml"))
    assert len(files) == 7
    for path in files:
        raw = yaml.safe_load(path.read_text())
        assert raw["dead_letter"]["max_attempts"] == 3, path.name
        assert load_sync_file(path).dead_letter.max_attempts == 3
