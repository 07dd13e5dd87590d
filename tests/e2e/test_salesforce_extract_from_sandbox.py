"""The live Salesforce extractor against the bundled sandbox, then the loader on its files.

`connectors` may not import `reverse_etl` (import-linter), so this cross-folder check lives
here: seed the sandbox from a hand-made export page, pull over REST (SOQL, queryAll, paging),
load, change one record through the REST API, pull again, and see only the change arrive.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import requests

from connectors.extract.salesforce_api import extract_salesforce
from connectors.load import load_source
from sandbox.server import start_background

TOKEN = "extract-test-token"
API = "/services/data/v62.0"


def _lead(n: int, deleted: bool = False) -> dict:
    lid = f"00Q5g00000Ab{n:03d}AAA"
    return {
        "attributes": {"type": "Lead", "url": f"{API}/sobjects/Lead/{lid}"},
        "Id": lid,
        "FirstName": "Taro",
        "LastName": f"Yamada{n}",
        "Email": f"taro{n}@example.co.jp",
        "Company": "株式会社サンプル",
        "Status": "Open",
        "IsConverted": False,
        "HasOptedOutOfEmail": False,
        "CreatedDate": "2026-03-02T01:04:05.000+0000",
        "SystemModstamp": "2026-03-02T01:04:05.000+0000",
        "IsDeleted": deleted,
    }


def test_pull_load_change_pull_again(tmp_path: Path) -> None:
    seed = tmp_path / "export" / "salesforce" / "Lead"
    seed.mkdir(parents=True)
    records = [_lead(i) for i in range(1, 6)] + [_lead(6, deleted=True)]
    page = {"totalSize": len(records), "done": True, "records": records}
    (seed / "20260302T000000Z-0001.json").write_text(json.dumps(page), encoding="utf-8")
    pulled, wh = tmp_path / "pulled", tmp_path / "w.duckdb"

    with start_background(0, tmp_path / "sb.sqlite", tmp_path / "export", TOKEN) as sandbox:
        first = extract_salesforce(pulled, sandbox.url, TOKEN, objects=["Lead"])
        assert first["Lead"]["records"] == 6  # queryAll: the deleted lead arrives too
        load_source(wh, pulled, "salesforce")

        changed = requests.patch(
            f"{sandbox.url}{API}/composite/sobjects",
            headers={"Authorization": f"Bearer {TOKEN}"},
            json={
                "records": [
                    {"attributes": {"type": "Lead"}, "Id": records[2]["Id"], "Status": "Working"}
                ]
            },
            timeout=30,
        ).json()
        assert changed[0]["success"] is True, changed
        second = extract_salesforce(pulled, sandbox.url, TOKEN, objects=["Lead"])
        assert second["Lead"]["records"] == 1  # only the change, by the SystemModstamp mark
        assert set(second["Lead"]["files"]).isdisjoint(first["Lead"]["files"])
        load_source(wh, pulled, "salesforce")
        assert (
            extract_salesforce(pulled, sandbox.url, TOKEN, objects=["Lead"])["Lead"]["records"] == 0
        )

    with duckdb.connect(str(wh), read_only=True) as con:
        total, deleted = con.execute(
            'SELECT count(*), count(*) FILTER (WHERE "IsDeleted") FROM raw.salesforce__lead'
        ).fetchone()
        newest = con.execute(
            'SELECT "Status" FROM raw.salesforce__lead WHERE "Id" = ? '
            'ORDER BY "SystemModstamp" DESC LIMIT 1',
            [records[2]["Id"]],
        ).fetchone()[0]
    assert (total, deleted) == (7, 1)  # raw keeps both versions of the changed lead
    assert newest == "Working"
