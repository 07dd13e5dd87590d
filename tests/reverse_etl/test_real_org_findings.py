"""Issue 18's findings, one test each, over a real socket against an empty sandbox.

Every test failed on the engine before issue 18 (named in its docstring) and passes now.
Numbers are worked by hand from the rows each test writes.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import requests

from reverse_etl.destinations import (
    HubSpotDestination,
    RefreshTokenAuth,
    RetryPolicy,
    SalesforceDestination,
)
from reverse_etl.engine import run_syncs
from reverse_etl.engine.lock import SyncLock, lock_path

FAST = RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=0.1, max_retry_after=1.0)
API = "/services/data/v62.0"


def dests(sb, **sf_kw) -> dict:
    return {
        "salesforce": SalesforceDestination(sb.url, sb.token, retry=FAST, **sf_kw),
        "hubspot": HubSpotDestination(sb.url, sb.token, retry=FAST),
    }


def hs(sb, method: str, path: str, **kw) -> requests.Response:
    headers = {"Authorization": f"Bearer {sb.token}"}
    return requests.request(method, sb.url + "/crm/v3" + path, headers=headers, timeout=30, **kw)


def sf(sb, method: str, path: str, **kw) -> requests.Response:
    headers = {"Authorization": f"Bearer {sb.token}"}
    return requests.request(method, sb.url + API + path, headers=headers, timeout=30, **kw)


def q(wh: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(wh), read_only=True) as con:
        return con.execute(sql).fetchall()


def table(wh: Path, name: str, sql: str) -> None:
    with duckdb.connect(str(wh)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS reverse_etl")
        con.execute(f"CREATE OR REPLACE TABLE reverse_etl.{name} AS {sql}")


def sync_file(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "s.yml").write_text(text)
    return folder


HS_CONTACTS = """
name: hsc
source: reverse_etl.pl_hsc
destination: hubspot
object: contacts
external_id: email
mode: mirror
fields: [revloop_score]
guardrails: {max_change_share: 1.0, max_clears: 10}
"""


def test_f1_clearing_a_deleted_hubspot_contact_never_recreates_it(sandbox, tmp_path) -> None:
    """Before: the clear went by batch/upsert with "" values and re-created the contact
    deleted in HubSpot. Now: 3 contacts synced; c1 is deleted in the portal, then withdraws
    consent → the clear goes by batch/update on its id, HubSpot answers 404, the state row
    is dropped and tombstoned (not dead-lettered); the portal still holds 2 contacts."""
    wh, sd = tmp_path / "w.duckdb", sync_file(tmp_path / "s", HS_CONTACTS)
    rows = "SELECT 'c' || i || '@ex.com' AS email, i * 1.0 AS revloop_score, {c} AS has_consent "
    table(wh, "pl_hsc", rows.format(c="true") + "FROM range(3) t(i)")
    (r,) = run_syncs(wh, sd, destinations=dests(sandbox))
    assert (r.status, r.succeeded) == ("succeeded", 3)
    hs_id = q(
        wh, "SELECT destination_id FROM reverse_etl._sync_state WHERE record_key = 'c1@ex.com'"
    )
    assert hs(sandbox, "DELETE", f"/objects/contacts/{hs_id[0][0]}").status_code == 204
    table(wh, "pl_hsc", rows.format(c="i <> 1") + "FROM range(3) t(i)")
    (r,) = run_syncs(wh, sd, destinations=dests(sandbox))
    assert (r.planned_clears, r.gone, r.rejected, r.status) == (1, 1, 0, "succeeded")
    emails = {
        x["properties"]["email"] for x in hs(sandbox, "GET", "/objects/contacts").json()["results"]
    }
    assert emails == {"c0@ex.com", "c2@ex.com"}
    assert q(wh, "SELECT record_key FROM reverse_etl._sync_tombstones") == [("c1@ex.com",)]
    assert q(wh, "SELECT count(*) FROM reverse_etl._sync_dead_letter") == [(0,)]
    (r,) = run_syncs(wh, sd, destinations=dests(sandbox))
    assert (r.sent, r.api_calls) == (0, 0)


def test_f1_updating_a_deleted_salesforce_lead_drops_it(sandbox, tmp_path) -> None:
    """Before: ENTITY_IS_DELETED went to the dead letter and was retried every night. Now
    the lead deleted (merged away) in Salesforce is dropped from state and tombstoned."""
    ids = [
        sf(sandbox, "POST", "/sobjects/Lead", json={"LastName": f"L{i}", "Company": "C"}).json()[
            "id"
        ]
        for i in range(2)
    ]
    wh = tmp_path / "w.duckdb"
    table(
        wh,
        "pl_lead",
        f"SELECT * FROM (VALUES ('{ids[0]}', 1.0), ('{ids[1]}', 2.0)) t(Id, Revloop_Score__c)",
    )
    sd = sync_file(
        tmp_path / "s",
        "name: lead\nsource: reverse_etl.pl_lead\ndestination: salesforce\nobject: Lead\n"
        "external_id: Id\nmode: update\nconsent_column: null\nfields: [Revloop_Score__c]\n"
        "guardrails: {max_change_share: 1.0}\n",
    )
    assert run_syncs(wh, sd, destinations=dests(sandbox))[0].succeeded == 2
    assert sf(sandbox, "DELETE", f"/sobjects/Lead/{ids[1]}").status_code == 204
    table(
        wh,
        "pl_lead",
        f"SELECT * FROM (VALUES ('{ids[0]}', 5.0), ('{ids[1]}', 6.0)) t(Id, Revloop_Score__c)",
    )
    (r,) = run_syncs(wh, sd, destinations=dests(sandbox))
    assert (r.succeeded, r.gone, r.rejected, r.status) == (1, 1, 0, "succeeded")
    (r,) = run_syncs(wh, sd, destinations=dests(sandbox))
    assert (r.sent, r.tombstoned) == (0, 1)


HS_COMPANIES = """
name: hsco
source: reverse_etl.pl_co
destination: hubspot
object: companies
external_id: revloop_account_id
adopt_by: domain
mode: upsert
consent_column: null
fields: [domain, name]
guardrails: {{max_change_share: 1.0, max_create_share: {share}}}
"""


def test_f2_portal_companies_are_adopted_by_domain_and_creates_are_guarded(
    sandbox, tmp_path
) -> None:
    """Before: a portal company without revloop_account_id was duplicated on the first run.
    Now: the portal holds ACME.jp (no revloop key); the payload has acc_1 (acme.jp) and
    acc_2 (beta.jp) → acc_1 adopts the portal company (updated by id, gets the key), acc_2 is
    created: 2 companies, not 3. A payload of 4 unknown domains would create 4 of 4 (100 %)
    in a non-empty portal, above max_create_share 0.5 → the guardrail stops it."""
    made = hs(
        sandbox,
        "POST",
        "/objects/companies/batch/upsert",
        json={
            "inputs": [
                {
                    "id": "tmp",
                    "idProperty": "revloop_account_id",
                    "properties": {"domain": "ACME.jp", "name": "Acme KK"},
                }
            ]
        },
    ).json()["results"][0]["id"]
    hs(
        sandbox,
        "POST",
        "/objects/companies/batch/update",
        json={"inputs": [{"id": made, "properties": {"revloop_account_id": ""}}]},
    )
    wh = tmp_path / "w.duckdb"
    table(
        wh,
        "pl_co",
        "SELECT * FROM (VALUES ('acc_1', 'acme.jp', 'Acme'), ('acc_2', 'beta.jp', 'Beta')) t(revloop_account_id, domain, name)",  # noqa: E501
    )
    sd = sync_file(tmp_path / "s", HS_COMPANIES.format(share=0.6))
    (r,) = run_syncs(wh, sd, destinations=dests(sandbox))
    assert (r.status, r.succeeded, r.adopted) == ("succeeded", 2, 1), r.error
    listed = hs(
        sandbox, "GET", "/objects/companies", params={"properties": "revloop_account_id,domain"}
    ).json()["results"]
    assert sorted((x["id"] == made, x["properties"]["revloop_account_id"]) for x in listed) == [
        (False, "acc_2"),
        (True, "acc_1"),
    ]
    table(
        wh,
        "pl_co",
        "SELECT 'n' || i AS revloop_account_id, 'n' || i || '.jp' AS domain, 'N' AS name FROM range(4) t(i)",  # noqa: E501
    )
    sd = sync_file(
        tmp_path / "s2", HS_COMPANIES.format(share=0.5).replace("name: hsco", "name: hsco2")
    )
    (r,) = run_syncs(wh, sd, destinations=dests(sandbox))
    assert r.error_type == "GuardrailViolation" and "max_create_share" in r.error and r.sent == 0


def test_f4_salesforce_token_expires_mid_sync_and_the_sync_finishes(sandbox, tmp_path) -> None:
    """Before: a static token and a 401 stopped the run. Now (refresh-token flow): tokens die
    after 3 API calls; describe + 5 collection calls (50 rows, batches of 10) need 2 logins:
    the sync finishes with all 50 written."""
    sandbox.register_connected_app(
        client_id="cid", client_secret="s", refresh_token="rt", username="u"
    )
    sandbox.configure(sf_static_token_allowed=0, sf_token_max_calls=3)
    auth = RefreshTokenAuth("cid", "rt", "s", login_url=sandbox.url)
    wh = tmp_path / "w.duckdb"
    table(
        wh,
        "pl_c",
        "SELECT 'p' || i AS Revloop_Person_Id__c, 'L' || i AS LastName, true AS has_consent FROM range(50) t(i)",  # noqa: E501
    )
    sd = sync_file(
        tmp_path / "s",
        "name: c\nsource: reverse_etl.pl_c\ndestination: salesforce\nobject: Contact\n"
        "external_id: Revloop_Person_Id__c\nmode: upsert\nfields: [LastName]\nbatch_size: 10\n",
    )
    dest = SalesforceDestination(retry=FAST, auth=auth)
    (r,) = run_syncs(wh, sd, destinations={"salesforce": dest})
    assert (r.status, r.succeeded) == ("succeeded", 50), r.error
    assert auth.logins == 2 and dest.token_refreshes == 1


def test_f5_rejects_are_parked_after_max_attempts(sandbox, tmp_path) -> None:
    """Before: a permanent reject was retried and counted every night (partial for ever).
    Now, max_attempts 2: run 1 and 2 refuse it (attempts 1, 2 → parked), run 3 sends
    nothing and succeeds with 1 parked; --retry (retry_parked) tries it once more."""
    wh = tmp_path / "w.duckdb"
    table(
        wh,
        "pl_r",
        "SELECT 'r' || i AS Revloop_Person_Id__c, CASE WHEN i = 1 THEN '' ELSE 'L' END AS LastName, true AS has_consent FROM range(3) t(i)",  # noqa: E501
    )
    sd = sync_file(
        tmp_path / "s",
        "name: r\nsource: reverse_etl.pl_r\ndestination: salesforce\nobject: Contact\n"
        "external_id: Revloop_Person_Id__c\nmode: upsert\nfields: [LastName]\n"
        "dead_letter: {max_attempts: 2}\nguardrails: {max_reject_share: 0.9}\n",
    )
    statuses = [run_syncs(wh, sd, destinations=dests(sandbox))[0] for _ in range(3)]
    assert [(r.status, r.rejected, r.parked) for r in statuses] == [
        ("partial", 1, 0),
        ("partial", 1, 1),
        ("succeeded", 0, 1),
    ]
    assert statuses[2].sent == 0
    (r,) = run_syncs(wh, sd, destinations=dests(sandbox), retry_parked=True)
    assert (r.sent, r.rejected) == (1, 1)


BULK = """
name: bk
source: reverse_etl.pl_bk
destination: salesforce
object: Contact
external_id: Revloop_Person_Id__c
mode: upsert
fields: [LastName]
bulk_threshold: 100
bulk_job_size: 250
guardrails: {max_change_share: 1.0}
"""


def test_f6_bulk_jobs_are_bounded_and_a_timed_out_job_is_aborted(sandbox, tmp_path) -> None:
    """Before: one job for everything, state after the whole job, a poll timeout left it
    running. Now 600 rows in jobs of 250 → 3 jobs (250, 250, 100), each recorded; then a job
    that never finishes (poll timeout 0.3 s) is aborted, and an Open job a killed run left
    is aborted by the next run before it starts new ones."""
    wh, sd = tmp_path / "w.duckdb", sync_file(tmp_path / "s", BULK)
    table(
        wh,
        "pl_bk",
        "SELECT 'b' || i AS Revloop_Person_Id__c, 'L' || i AS LastName, true AS has_consent FROM range(600) t(i)",  # noqa: E501
    )
    (r,) = run_syncs(wh, sd, destinations=dests(sandbox))
    assert (r.status, r.succeeded) == ("succeeded", 600)
    jobs_sql = (
        "SELECT rows, state FROM reverse_etl._sync_bulk_jobs WHERE job_id NOT LIKE 'create:%' "
        "ORDER BY created_at"
    )
    assert q(wh, jobs_sql) == [
        (250, "JobComplete"),
        (250, "JobComplete"),
        (100, "JobComplete"),
    ]
    sandbox.configure(bulk_polls_in_progress=10_000)
    table(
        wh,
        "pl_bk",
        "SELECT 'b' || i AS Revloop_Person_Id__c, 'M' || i AS LastName, true AS has_consent FROM range(600) t(i)",  # noqa: E501
    )
    (r,) = run_syncs(wh, sd, destinations=dests(sandbox, bulk_poll_timeout=0.3))
    assert r.status == "failed" and "aborted" in r.error
    jobs = sf(sandbox, "GET", "/jobs/ingest").json()["records"]
    assert [j["state"] for j in jobs][-1] == "Aborted"
    assert q(wh, jobs_sql)[-1] == (250, "Aborted")
    # a run killed after creating a job: recorded Open, left Open in the org
    left = sf(
        sandbox, "POST", "/jobs/ingest", json={"object": "Contact", "operation": "insert"}
    ).json()
    with duckdb.connect(str(wh)) as con:
        con.execute(
            "INSERT INTO reverse_etl._sync_bulk_jobs (job_id, sync_name, run_id, object, "
            "operation, state, rows, created_at, updated_at) VALUES (?, 'bk', 'dead-run', "
            "'Contact', 'insert', 'Open', 1, now(), now())",
            [left["id"]],
        )
    sandbox.configure(bulk_polls_in_progress=1)
    (r,) = run_syncs(wh, sd, destinations=dests(sandbox))
    assert r.status == "succeeded"
    assert sf(sandbox, "GET", f"/jobs/ingest/{left['id']}").json()["state"] == "Aborted"


def test_f6_orphan_job_of_a_lost_create_answer_is_aborted_by_the_next_run(
    sandbox, tmp_path
) -> None:
    """Before: a job create applied by Salesforce whose answer was lost left an Open job
    nobody knew of. Now the create is recorded before it is sent.

    Run 1: the sandbox applies the first POST /jobs/ingest and drops its answer; with one
    attempt allowed the run fails having confirmed nothing: the org holds 1 Open job (J1),
    state has 0 rows and one `create:` row still Creating. An unrelated Open Lead job (another
    tool's) sits in the org too. Run 2: settles the create first: lists the jobs, aborts J1
    (Contact, upsert, in the window, unknown), leaves the Lead job Open, then sends the 150
    rows in its own job J2. Run 3, payload changed, the same fault with retries allowed: the
    retried create gets J4 and aborts its orphan J3 within the run. Jobs in the org at the
    end: J1 Aborted, Lead job Open, J2 JobComplete, J3 Aborted, J4 JobComplete."""
    wh, sd = tmp_path / "w.duckdb", sync_file(tmp_path / "s", BULK)
    rows = "SELECT 'o' || i AS Revloop_Person_Id__c, '{p}' || i AS LastName, true AS has_consent "
    table(wh, "pl_bk", rows.format(p="L") + "FROM range(150) t(i)")
    lose_create = {
        "lost_response_rate": 1.0,
        "method": "POST",
        "path": "/jobs/ingest",
        "max_faults": 1,
        "target": "salesforce",
    }
    sandbox.configure_faults(**lose_create)
    once = RetryPolicy(max_attempts=1, base_delay=0.01)
    one_try = {"salesforce": SalesforceDestination(sandbox.url, sandbox.token, retry=once)}
    (r,) = run_syncs(wh, sd, destinations=one_try)
    assert r.status == "failed" and r.succeeded == 0 and "create job" in r.error
    (j1,) = sf(sandbox, "GET", "/jobs/ingest").json()["records"]
    assert (j1["object"], j1["operation"], j1["state"]) == ("Contact", "upsert", "Open")
    assert q(wh, "SELECT state FROM reverse_etl._sync_bulk_jobs") == [("Creating",)]
    assert q(wh, "SELECT count(*) FROM reverse_etl._sync_state") == [(0,)]
    other = sf(
        sandbox, "POST", "/jobs/ingest", json={"object": "Lead", "operation": "insert"}
    ).json()

    sandbox.configure_faults()
    (r,) = run_syncs(wh, sd, destinations=dests(sandbox))
    assert (r.status, r.succeeded) == ("succeeded", 150), r.error
    states = {j["id"]: j["state"] for j in sf(sandbox, "GET", "/jobs/ingest").json()["records"]}
    assert states[j1["id"]] == "Aborted" and states[other["id"]] == "Open"
    assert sorted(states.values()) == ["Aborted", "JobComplete", "Open"]
    assert q(wh, f"SELECT state FROM reverse_etl._sync_bulk_jobs WHERE job_id = '{j1['id']}'") == [
        ("Aborted",)
    ]

    table(wh, "pl_bk", rows.format(p="M") + "FROM range(150) t(i)")
    sandbox.configure_faults(**lose_create)
    (r,) = run_syncs(wh, sd, destinations=dests(sandbox))
    assert (r.status, r.succeeded) == ("succeeded", 150), r.error
    jobs = sf(sandbox, "GET", "/jobs/ingest").json()["records"]
    assert [j["state"] for j in jobs] == [
        "Aborted",
        "Open",
        "JobComplete",
        "Aborted",
        "JobComplete",
    ]
    assert q(
        wh,
        "SELECT count(*) FILTER (WHERE state = 'Creating'), count(*) FILTER (WHERE job_id "
        "LIKE 'create:%') FROM reverse_etl._sync_bulk_jobs",
    ) == [(0, 3)]


def test_f7_changelog_answers_what_was_written_to_a_record(sandbox, tmp_path) -> None:
    """Before: a row hash only. Now the audit view answers "what did revloop write to this
    record": two runs with score 1.0 then 2.0 → two payloads for the record, in order."""
    wh = tmp_path / "w.duckdb"
    sd = sync_file(
        tmp_path / "s",
        "name: a\nsource: reverse_etl.pl_a\ndestination: salesforce\nobject: Contact\n"
        "external_id: Revloop_Person_Id__c\nmode: upsert\nfields: [LastName, Revloop_Score__c]\n"
        "guardrails: {max_change_share: 1.0}\n",
    )
    for score in (1.0, 2.0):
        table(
            wh,
            "pl_a",
            f"SELECT 'a1' AS Revloop_Person_Id__c, 'Sato' AS LastName, {score}::DOUBLE AS Revloop_Score__c, true AS has_consent",  # noqa: E501
        )
        run_syncs(wh, sd, destinations=dests(sandbox))
    (dest_id,) = q(wh, "SELECT DISTINCT destination_id FROM reverse_etl._sync_changelog")[0]
    got = q(
        wh,
        f"SELECT payload FROM reverse_etl._sync_audit WHERE destination_id = '{dest_id}' ORDER BY logged_at",  # noqa: E501
    )
    assert got == [
        ('{"LastName":"Sato","Revloop_Score__c":1.0}',),
        ('{"LastName":"Sato","Revloop_Score__c":2.0}',),
    ]


def test_f8_schema_checked_and_mapping_change_is_a_full_resync(sandbox, tmp_path) -> None:
    """Before: a missing field came back as one reject per record, a renamed mapping tripped
    the change-share guardrail, dropped fields kept their values. Now: a mapping to
    Revloop_Nope__c fails before sending, naming the field and how to create it; adding
    Revloop_Grade__c and dropping Revloop_Score__c stops the nightly run with the command to
    run; --full-resync re-sends both rows and clears Revloop_Score__c once."""
    wh = tmp_path / "w.duckdb"
    table(
        wh,
        "pl_m",
        "SELECT 'm' || i AS Revloop_Person_Id__c, 'L' AS LastName, 3.0 AS Revloop_Score__c, 'A' AS Revloop_Grade__c, 1.0 AS nope, true AS has_consent FROM range(2) t(i)",  # noqa: E501
    )
    base = (
        "name: m\nsource: reverse_etl.pl_m\ndestination: salesforce\nobject: Contact\n"
        "external_id: Revloop_Person_Id__c\nmode: upsert\nfields: [{fields}]\n"
        "guardrails: {{max_change_share: 0.5}}\n"
    )
    sd = sync_file(
        tmp_path / "s", base.format(fields="LastName, {source: nope, target: Revloop_Nope__c}")
    )
    (r,) = run_syncs(wh, sd, destinations=dests(sandbox))
    assert r.error_type == "SchemaMismatch" and "Revloop_Nope__c" in r.error
    assert "Object Manager" in r.error and r.sent == 0
    sd = sync_file(tmp_path / "s", base.format(fields="LastName, Revloop_Score__c"))
    assert run_syncs(wh, sd, destinations=dests(sandbox))[0].succeeded == 2
    sd = sync_file(tmp_path / "s", base.format(fields="LastName, Revloop_Grade__c"))
    (r,) = run_syncs(wh, sd, destinations=dests(sandbox))
    assert r.error_type == "MappingChanged" and "--full-resync m" in r.error and r.sent == 0
    (r,) = run_syncs(wh, sd, destinations=dests(sandbox), full_resync=["m"])
    assert (r.status, r.sent) == ("succeeded", 2)
    rows = sf(
        sandbox,
        "GET",
        "/query",
        params={"q": "SELECT Revloop_Score__c, Revloop_Grade__c FROM Contact"},
    ).json()["records"]
    assert [(x["Revloop_Score__c"], x["Revloop_Grade__c"]) for x in rows] == [(None, "A")] * 2
    (r,) = run_syncs(wh, sd, destinations=dests(sandbox))
    assert (r.status, r.sent) == ("succeeded", 0)


def test_f9_a_second_run_of_a_sync_waits_or_exits(sandbox, tmp_path) -> None:
    """Before: start_run marked the live run `interrupted`. Now a run holding the sync's
    lock makes a second run exit at once with a message (status skipped), and the live
    run's bookkeeping is untouched."""
    wh = tmp_path / "w.duckdb"
    table(wh, "pl_l", "SELECT 'l1' AS Revloop_Person_Id__c, 'L' AS LastName, true AS has_consent")
    sd = sync_file(
        tmp_path / "s",
        "name: lk\nsource: reverse_etl.pl_l\ndestination: salesforce\nobject: Contact\n"
        "external_id: Revloop_Person_Id__c\nfields: [LastName]\n",
    )
    with SyncLock(lock_path(wh, "lk"), "lk", run_id="the-live-run"):
        (r,) = run_syncs(wh, sd, destinations=dests(sandbox))
    assert r.status == "skipped" and r.error_type == "SyncAlreadyRunning"
    assert "the-live-run" in r.error and r.sent == 0
    assert run_syncs(wh, sd, destinations=dests(sandbox))[0].status == "succeeded"
