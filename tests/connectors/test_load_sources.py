"""Each source's vendor format lands typed in raw.<source>__<entity>, values checked by hand."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from test_load_helpers import csv_text, ga4_event, marketo_lead, rows, sf_lead, sf_page, write

from connectors.load import load_all, load_source


def test_salesforce_page_unnested_typed_and_attributes_dropped(extracts: Path, warehouse: Path):
    write(
        extracts / "salesforce/Lead/20261031T000000Z-0001.json",
        sf_page([sf_lead(1), sf_lead(2, IsDeleted=True, NumberOfEmployees=None, Rating__c="Hot")]),
    )
    report = load_source(warehouse, extracts, "salesforce")
    assert report.tables["salesforce__lead"].rows_loaded == 2
    got = rows(
        warehouse,
        'SELECT "Id", "Company", "NumberOfEmployees", "IsDeleted", "CreatedDate", '
        "_source_file, _row_number, _extra FROM raw.salesforce__lead ORDER BY _row_number",
    )
    assert got[0][:4] == ("00Q000000000000001", "株式会社サンプル", 250, False)
    assert got[0][4] == datetime(2026, 3, 2, 1, 4, 5, tzinfo=UTC)
    assert got[0][5:] == ("salesforce/Lead/20261031T000000Z-0001.json", 1, None)
    assert got[1][2:4] == (None, True)
    assert json.loads(got[1][7]) == {"Rating__c": "Hot"}  # extra field kept, reported as drift
    assert rows(warehouse, "SELECT column_name FROM raw._schema_drift") == [("Rating__c",)]
    columns = [r[0] for r in rows(warehouse, "DESCRIBE raw.salesforce__lead")]
    assert "attributes" not in columns
    assert columns[-6:] == [
        "_extra",
        "_source_file",
        "_row_number",
        "_loaded_at",
        "_batch_id",
        "_superseded_at",
    ]


def test_marketo_csv_and_activity_attributes_json(extracts: Path, warehouse: Path):
    write(extracts / "marketo/leads/2026-10-31.csv", csv_text([marketo_lead("7")]))
    header = [
        "marketoGUID", "leadId", "activityDate", "activityTypeId", "campaignId",
        "primaryAttributeValueId", "primaryAttributeValue", "attributes",
    ]  # fmt: skip
    attrs = json.dumps([{"name": "Webpage URL", "value": "/pricing"}])
    write(
        extracts / "marketo/activities/2026-10-31.csv",
        csv_text(
            [
                {
                    "marketoGUID": "g-1",
                    "leadId": "7",
                    "activityDate": "2026-10-31T12:00:00Z",
                    "activityTypeId": "1",
                    "primaryAttributeValue": "/pricing",
                    "attributes": attrs,
                }
            ],  # fmt: skip
            header,
        ),
    )
    load_source(warehouse, extracts, "marketo")
    lead = rows(warehouse, "SELECT id, numberOfEmployees, unsubscribed FROM raw.marketo__leads")
    assert lead == [("7", 120, False)]
    act = rows(
        warehouse,
        "SELECT activityTypeId, attributes->>'$[0].value' FROM raw.marketo__activities",
    )
    assert act == [(1, "/pricing")]


def test_ga4_nested_structs_mirror_the_export(extracts: Path, warehouse: Path):
    lines = [ga4_event(1793491199000000), ga4_event(1793491200000000, user_id="abc")]
    write(extracts / "ga4/events_20261031.jsonl", "\n".join(json.dumps(e) for e in lines) + "\n")
    load_source(warehouse, extracts, "ga4")
    got = rows(
        warehouse,
        "SELECT event_date, event_timestamp, event_params[1].value.int_value, "
        "event_params[2].value.string_value, geo.city, user_id, _row_number "
        "FROM raw.ga4__events ORDER BY _row_number",
    )
    assert got == [
        (date(2026, 10, 31), 1793491199000000, 1793491, "https://x.example/?gclid=abc", "Tokyo",
         None, 1),
        (date(2026, 10, 31), 1793491200000000, 1793491, "https://x.example/?gclid=abc", "Tokyo",
         "abc", 2),
    ]  # fmt: skip


def test_ads_sources(extracts: Path, warehouse: Path):
    write(
        extracts / "ads/google_ads/campaign_2026-10-31.csv",
        "segments.date,customer.id,customer.currency_code,campaign.id,campaign.name,"
        "campaign.advertising_channel_type,metrics.impressions,metrics.clicks,"
        "metrics.cost_micros,metrics.conversions\n"
        "2026-10-31,1234567890,JPY,111,Brand,SEARCH,1000,25,1500000000,2.5\n",
    )
    write(
        extracts / "ads/meta_ads/insights_2026-10-31.json",
        json.dumps(
            {
                "data": [
                    {
                        "date_start": "2026-10-31",
                        "date_stop": "2026-10-31",
                        "account_id": "act_1",
                        "account_currency": "USD",
                        "campaign_id": "238",
                        "campaign_name": "Retarget",
                        "adset_id": "239",
                        "impressions": "5000",
                        "clicks": "40",
                        "spend": "123.45",
                        "actions": [{"action_type": "lead", "value": "3"}],
                    }
                ],
                "paging": {"cursors": {"before": "a", "after": "b"}},
            }  # fmt: skip
        ),
    )
    write(
        extracts / "ads/linkedin_ads/analytics_2026-10-31.json",
        json.dumps(
            {
                "elements": [
                    {
                        "dateRange": {
                            "start": {"year": 2026, "month": 10, "day": 31},
                            "end": {"year": 2026, "month": 10, "day": 31},
                        },
                        "pivotValues": ["urn:li:sponsoredCampaign:123"],
                        "impressions": 900,
                        "clicks": 9,
                        "costInLocalCurrency": "45.5",
                        "externalWebsiteConversions": 1,
                    }
                ],
                "paging": {"count": 10, "start": 0},
            }  # fmt: skip
        ),
    )
    report = load_all(warehouse, extracts)
    assert report.ok, report.summary()
    assert rows(
        warehouse, 'SELECT "segments.date", "metrics.cost_micros" FROM raw.google_ads__campaign'
    ) == [(date(2026, 10, 31), 1500000000)]
    assert rows(
        warehouse, "SELECT impressions, spend, actions[1].value FROM raw.meta_ads__insights"
    ) == [(5000, 123.45, "3")]
    assert rows(
        warehouse,
        'SELECT "dateRange"."start"."day", "pivotValues"[1], "costInLocalCurrency" '
        "FROM raw.linkedin_ads__analytics",
    ) == [(31, "urn:li:sponsoredCampaign:123", 45.5)]


def test_every_raw_table_exists_even_without_files(extracts: Path, warehouse: Path):
    load_all(warehouse, extracts)
    tables = {
        (s, t)
        for s, t in rows(
            warehouse,
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN ('raw', 'quarantine')",
        )
    }
    for name in ["salesforce__opportunity_contact_role", "ga4__events", "linkedin_ads__analytics"]:
        assert ("raw", name) in tables and ("quarantine", name) in tables
    assert ("raw", "_manifest") in tables and ("raw", "_schema_drift") in tables
