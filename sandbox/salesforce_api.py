"""Salesforce REST API subset (v62.0 shapes, any version in the path) served by the sandbox.

Covers what revloop's extractor and Salesforce destination call: SOQL query/queryAll with
cursors, record reads, sObject Collections upsert/update, and Bulk API 2.0 ingest jobs.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import secrets

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox import soql
from sandbox.schema import SObject, format_sf_datetime
from sandbox.sf_records import (
    WriteItem,
    WriteResult,
    attributes,
    id18,
    normalise_id,
    save_records,
)
from sandbox.state import SandboxState

log = logging.getLogger(__name__)

PREFIX = "/services/data/v{version}"
CSV_NULL = "#N/A"


def sf_error(status: int, code: str, message: str, fields: list[str] | None = None) -> JSONResponse:
    body: dict = {"message": message, "errorCode": code}
    if fields is not None:
        body["fields"] = fields
    return JSONResponse([body], status_code=status)


def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox


def _count(request: Request, n: int) -> None:
    request.scope["revloop_records"] = n


def _version(request: Request) -> str | None:
    version = request.path_params["version"]
    parts = version.split(".")
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return version
    return None


def _sobject(request: Request, name: str) -> SObject | None:
    return _state(request).schema.sobject(name)


def _not_found() -> JSONResponse:
    return sf_error(404, "NOT_FOUND", "The requested resource does not exist")


def _bad_type(name: str) -> JSONResponse:
    return sf_error(
        404,
        "NOT_FOUND",
        f"The requested resource does not exist: sObject type '{name}' is not supported.",
    )


async def _json_body(request: Request) -> tuple[object | None, JSONResponse | None]:
    try:
        return json.loads(await request.body() or b"null"), None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return None, sf_error(
            400, "JSON_PARSER_ERROR", f"The request body is not valid JSON: {exc}"
        )


# ------------------------------------------------------------------ versions / limits


async def versions(request: Request) -> Response:
    return JSONResponse([{"label": "Winter '25", "url": "/services/data/v62.0", "version": "62.0"}])


async def limits(request: Request) -> Response:
    state = _state(request)
    maximum = state.config.sf_daily_api_limit
    return JSONResponse(
        {"DailyApiRequests": {"Max": maximum, "Remaining": max(maximum - state.sf_api_calls, 0)}}
    )


# ------------------------------------------------------------------ SOQL


def _project(record: dict, sobject: SObject, fields: list[str], version: str) -> dict:
    out = {"attributes": attributes(sobject.name, record["Id"], version)}
    for name in fields:
        out[name] = record.get(name)
    return out


def _page(state: SandboxState, cursor_id: str, offset: int, version: str) -> dict:
    cursor = state.cursors[cursor_id]
    rows = cursor["rows"]
    size = state.config.sf_page_size
    page = rows[offset : offset + size]
    body: dict = {"totalSize": len(rows), "done": offset + size >= len(rows), "records": page}
    if not body["done"]:
        body["nextRecordsUrl"] = f"/services/data/v{version}/query/{cursor_id}-{offset + size}"
    else:
        state.cursors.pop(cursor_id, None)
    return body


def _run_query(request: Request, include_deleted: bool) -> Response:
    state = _state(request)
    version = _version(request)
    if version is None:
        return _not_found()
    text = request.query_params.get("q")
    if not text:
        return sf_error(400, "MALFORMED_QUERY", "A query string has to be specified")
    try:
        query = soql.parse(text)
        sobject = state.schema.sobject(query.sobject)
        if sobject is None:
            raise soql.SoqlError(
                "INVALID_TYPE",
                f"\nFROM {query.sobject}\n^\nERROR at Row:1:Column:1\nsObject type "
                f"'{query.sobject}' is not supported.",
            )
        fields = soql.resolve_fields(query, sobject)
    except soql.SoqlError as exc:
        return sf_error(400, exc.code, exc.message)

    # push SystemModstamp bounds into SQL (indexed); every condition is re-checked in Python
    lower = upper = None
    for cond in query.conditions:
        if cond.field.lower() == "systemmodstamp" and hasattr(cond.value, "tzinfo"):
            stamp = format_sf_datetime(cond.value)  # type: ignore[arg-type]
            if cond.op in (">", ">="):
                lower = (stamp, cond.op == ">=")
            elif cond.op in ("<", "<="):
                upper = (stamp, cond.op == "<=")
    records = [
        r
        for r in state.store.scan(sobject.name, include_deleted, lower, upper)
        if soql.matches(r, query.conditions, sobject)
    ]
    if query.order_by:
        records.sort(key=soql.sort_key(sobject, query.order_by), reverse=query.descending)
    if query.limit is not None:
        records = records[: query.limit]
    rows = [_project(r, sobject, fields, version) for r in records]
    cursor_id = "01g" + secrets.token_hex(6).upper() + "RL"
    state.cursors[cursor_id] = {"rows": rows}
    while len(state.cursors) > 100:
        state.cursors.pop(next(iter(state.cursors)))
    body = _page(state, cursor_id, 0, version)
    _count(request, len(body["records"]))
    return JSONResponse(body)


async def query(request: Request) -> Response:
    return _run_query(request, include_deleted=False)


async def query_all(request: Request) -> Response:
    return _run_query(request, include_deleted=True)


async def query_more(request: Request) -> Response:
    state = _state(request)
    version = _version(request) or "62.0"
    locator = request.path_params["locator"]
    cursor_id, _, offset_text = locator.rpartition("-")
    if cursor_id not in state.cursors or not offset_text.isdigit():
        return sf_error(400, "INVALID_QUERY_LOCATOR", "invalid query locator", None)
    body = _page(state, cursor_id, int(offset_text), version)
    _count(request, len(body["records"]))
    return JSONResponse(body)


# ------------------------------------------------------------------ describe / single records


async def describe(request: Request) -> Response:
    sobject = _sobject(request, request.path_params["sobject"])
    if sobject is None:
        return _bad_type(request.path_params["sobject"])
    return JSONResponse(
        {
            "name": sobject.name,
            "label": sobject.name,
            "keyPrefix": sobject.prefix,
            "createable": sobject.createable,
            "updateable": sobject.createable,
            "custom": False,
            "fields": [
                {
                    "name": f.name,
                    "type": f.type,
                    "length": f.length or 0,
                    "nillable": not f.required and f.name != "Id",
                    "unique": f.unique and f.name != "Id",
                    "externalId": f.external_id,
                    "idLookup": f.external_id or f.name == "Id",
                    "createable": f.updateable and sobject.createable,
                    "updateable": f.updateable and sobject.createable,
                    "custom": f.name.endswith("__c"),
                }
                for f in sobject.fields.values()
            ],
        }
    )


def _find(state: SandboxState, sobject: SObject, key_field: str, value: str) -> dict | None:
    if key_field == "Id":
        rid = normalise_id(value)
        if rid is None:
            return None
    else:
        rid = state.store.lookup_unique(sobject.name, key_field, [value]).get(value.strip().lower())
        if rid is None:
            return None
    record = state.store.get_many(sobject.name, [rid]).get(rid)
    return None if record is None or record.get("IsDeleted") else record


def _read_response(request: Request, sobject: SObject, record: dict | None) -> Response:
    if record is None:
        return _not_found()
    version = _version(request) or "62.0"
    wanted = request.query_params.get("fields")
    if wanted:
        names = []
        for name in wanted.split(","):
            fld = sobject.field(name.strip())
            if fld is None:
                return sf_error(
                    400, "INVALID_FIELD", f"No such column '{name}' on entity '{sobject.name}'"
                )
            names.append(fld.name)
    else:
        names = [f.name for f in sobject.fields.values()]
        names += [k for k in record if k not in names]
    _count(request, 1)
    return JSONResponse(_project(record, sobject, names, version))


async def get_record(request: Request) -> Response:
    sobject = _sobject(request, request.path_params["sobject"])
    if sobject is None:
        return _bad_type(request.path_params["sobject"])
    return _read_response(
        request, sobject, _find(_state(request), sobject, "Id", request.path_params["record_id"])
    )


async def get_record_by_key(request: Request) -> Response:
    sobject = _sobject(request, request.path_params["sobject"])
    if sobject is None:
        return _bad_type(request.path_params["sobject"])
    fld = sobject.field(request.path_params["field"])
    if fld is None or not (fld.external_id or fld.name == "Id"):
        return sf_error(
            404,
            "NOT_FOUND",
            "Provided external ID field does not exist or is not accessible: "
            + request.path_params["field"],
        )
    return _read_response(
        request, sobject, _find(_state(request), sobject, fld.name, request.path_params["value"])
    )


def _save_response(result: WriteResult, upsert: bool) -> Response:
    if result.errors:
        status = 404 if result.errors[0]["statusCode"] == "NOT_FOUND" else 400
        return JSONResponse(
            [
                {"message": e["message"], "errorCode": e["statusCode"], "fields": e["fields"]}
                for e in result.errors
            ],
            status_code=status,
        )
    body = {"id": result.id, "success": True, "errors": []}
    if upsert:
        body["created"] = result.created
        return JSONResponse(body, status_code=201 if result.created else 200)
    return JSONResponse(body, status_code=201)


async def create_record(request: Request) -> Response:
    state = _state(request)
    sobject = _sobject(request, request.path_params["sobject"])
    if sobject is None:
        return _bad_type(request.path_params["sobject"])
    body, err = await _json_body(request)
    if err:
        return err
    if not isinstance(body, dict):
        return sf_error(400, "JSON_PARSER_ERROR", "Expected a JSON object for the record")
    with state.store.transaction():
        (result,) = save_records(state.store, sobject, [WriteItem(body)], True, state.clock, "")
    _count(request, 1)
    return _save_response(result, upsert=False)


async def update_record(request: Request) -> Response:
    state = _state(request)
    sobject = _sobject(request, request.path_params["sobject"])
    if sobject is None:
        return _bad_type(request.path_params["sobject"])
    body, err = await _json_body(request)
    if err:
        return err
    if not isinstance(body, dict):
        return sf_error(400, "JSON_PARSER_ERROR", "Expected a JSON object for the record")
    item = WriteItem(body, "Id", request.path_params["record_id"])
    with state.store.transaction():
        (result,) = save_records(state.store, sobject, [item], True, state.clock, "")
    _count(request, 1)
    if result.errors:
        return _save_response(result, upsert=False)
    return Response(status_code=204)


async def upsert_record(request: Request) -> Response:
    state = _state(request)
    sobject = _sobject(request, request.path_params["sobject"])
    if sobject is None:
        return _bad_type(request.path_params["sobject"])
    fld = sobject.field(request.path_params["field"])
    if fld is None or not fld.external_id:
        return sf_error(
            404,
            "NOT_FOUND",
            "Provided external ID field does not exist or is not accessible: "
            + request.path_params["field"],
        )
    body, err = await _json_body(request)
    if err:
        return err
    if not isinstance(body, dict):
        return sf_error(400, "JSON_PARSER_ERROR", "Expected a JSON object for the record")
    body = {k: v for k, v in body.items() if k.lower() != fld.name.lower()}
    item = WriteItem(body, fld.name, request.path_params["value"])
    with state.store.transaction():
        (result,) = save_records(state.store, sobject, [item], True, state.clock, "")
    _count(request, 1)
    return _save_response(result, upsert=True)


async def delete_record(request: Request) -> Response:
    """`DELETE sobjects/{Obj}/{Id}`: the record goes to the recycle bin (IsDeleted, still
    visible to queryAll); a later update by Id answers ENTITY_IS_DELETED."""
    state = _state(request)
    sobject = _sobject(request, request.path_params["sobject"])
    if sobject is None:
        return _bad_type(request.path_params["sobject"])
    record = _find(state, sobject, "Id", request.path_params["record_id"])
    if record is None:
        return sf_error(404, "ENTITY_IS_DELETED", "entity is deleted")
    stamp = format_sf_datetime(state.clock.tick())
    record = dict(record, IsDeleted=True, LastModifiedDate=stamp, SystemModstamp=stamp)
    with state.store.transaction():
        state.store.write_records(sobject.name, [(record["Id"], stamp, True, record)], [])
        state.store.conn.execute(
            "DELETE FROM unique_keys WHERE object = ? AND id = ?", (sobject.name, record["Id"])
        )
    return Response(status_code=204)


# ------------------------------------------------------------------ sObject Collections


def _collection_results(results: list[WriteResult], upsert: bool) -> list[dict]:
    out = []
    for r in results:
        row: dict = {"id": r.id, "success": r.success, "errors": r.errors}
        if upsert:
            row["created"] = r.created
        out.append(row)
    return out


async def _collection_body(request: Request) -> tuple[list[dict], bool, Response | None]:
    state = _state(request)
    body, err = await _json_body(request)
    if err:
        return [], False, err
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        return (
            [],
            False,
            sf_error(
                400, "JSON_PARSER_ERROR", 'Body must be {"allOrNone": bool, "records": [...]}'
            ),
        )
    records = body["records"]
    _count(request, len(records))
    if len(records) > state.config.sf_collection_limit:
        return (
            [],
            False,
            sf_error(
                400,
                "EXCEEDED_ID_LIMIT",
                f"record limit reached. cannot submit more than {state.config.sf_collection_limit} "
                "records into this call",
            ),
        )
    if any(not isinstance(r, dict) for r in records):
        return (
            [],
            False,
            sf_error(400, "JSON_PARSER_ERROR", "every element of records must be an object"),
        )
    return records, bool(body.get("allOrNone", False)), None


def _save_grouped(
    state: SandboxState,
    groups: dict[str, list[int]],
    items: list[WriteItem],
    all_or_none: bool,
    missing_id: list[int] | None = None,
) -> list[WriteResult]:
    """Save per sObject type inside one transaction; allOrNone rolls back every type."""
    results: list[WriteResult | None] = [None] * len(items)
    for i in missing_id or []:
        res = WriteResult()
        res.error("MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
        results[i] = res
    state.store.begin()
    try:
        for type_name, positions in groups.items():
            sobject = state.schema.sobject(type_name)
            if sobject is None:
                for i in positions:
                    res = WriteResult()
                    res.error("INVALID_TYPE", f"sObject type '{type_name}' is not supported.")
                    results[i] = res
                continue
            saved = save_records(
                state.store, sobject, [items[i] for i in positions], False, state.clock, ""
            )
            for i, res in zip(positions, saved, strict=True):
                results[i] = res
        final = [r if r is not None else WriteResult() for r in results]
        if all_or_none and any(r.errors for r in final):
            state.store.rollback()
            for r in final:
                if r.success:
                    r.success, r.created, r.id = False, False, None
                    r.error(
                        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                        "Record rolled back because not all records were valid and the request "
                        "was using AllOrNone header",
                    )
            return final
    except BaseException:
        state.store.rollback()
        raise
    state.store.commit()
    return final


async def collection_upsert(request: Request) -> Response:
    state = _state(request)
    sobject = _sobject(request, request.path_params["sobject"])
    if sobject is None:
        return _bad_type(request.path_params["sobject"])
    key = request.path_params["field"]
    fld = sobject.field(key)
    if fld is None or not (fld.external_id or fld.name == "Id"):
        return sf_error(
            400,
            "INVALID_FIELD",
            f"Field name provided, {key} is not an External ID or indexed field for {sobject.name}",
        )
    records, all_or_none, err = await _collection_body(request)
    if err:
        return err
    items = []
    key_lower = fld.name.lower()
    for rec in records:
        key_value = rec.get(fld.name)
        if key_value is None and fld.name not in rec:  # field names are case-insensitive
            key_value = next((v for k, v in rec.items() if k.lower() == key_lower), None)
        values = {k: v for k, v in rec.items() if k.lower() != "attributes" and k != fld.name}
        if fld.name not in rec:
            values = {k: v for k, v in values.items() if k.lower() != key_lower}
        items.append(WriteItem(values, fld.name, key_value))
    results = _save_grouped(state, {sobject.name: list(range(len(items)))}, items, all_or_none)
    return JSONResponse(_collection_results(results, upsert=True))


async def collection_update(request: Request) -> Response:
    state = _state(request)
    records, all_or_none, err = await _collection_body(request)
    if err:
        return err
    groups: dict[str, list[int]] = {}
    items = []
    missing_id: list[int] = []
    for i, rec in enumerate(records):
        # field names are case-insensitive in Salesforce ("id", "ID" and "Id" are one field)
        record_id = next((v for k, v in rec.items() if k.lower() == "id"), None)
        values = {k: v for k, v in rec.items() if k.lower() not in ("attributes", "id")}
        items.append(WriteItem(values, "Id", record_id or None))
        if not record_id:
            missing_id.append(i)
            continue
        type_name = (rec.get("attributes") or {}).get("type")
        if not type_name and isinstance(record_id, str):
            guessed = state.schema.sobject_by_prefix(record_id)
            type_name = guessed.name if guessed else None
        groups.setdefault(type_name or "?", []).append(i)
    results = _save_grouped(state, groups, items, all_or_none, missing_id)
    return JSONResponse(_collection_results(results, upsert=False))


# ------------------------------------------------------------------ Bulk API 2.0 ingest


def _job_public(info: dict) -> dict:
    return {k: v for k, v in info.items() if not k.startswith("_")}


async def create_job(request: Request) -> Response:
    state = _state(request)
    version = _version(request) or "62.0"
    body, err = await _json_body(request)
    if err:
        return err
    if not isinstance(body, dict):
        return sf_error(400, "INVALIDJOB", "InvalidJob : the body must be a JSON object")
    sobject = state.schema.sobject(str(body.get("object", "")))
    operation = body.get("operation")
    if sobject is None:
        return sf_error(
            400, "INVALIDJOB", f"InvalidJob : Unable to find object: {body.get('object')}"
        )
    if operation not in ("insert", "update", "upsert"):
        return sf_error(400, "INVALIDJOB", f"InvalidJob : Invalid operation: {operation}")
    if body.get("contentType", "CSV") != "CSV":
        return sf_error(400, "INVALIDJOB", "InvalidJob : contentType must be CSV")
    ext = body.get("externalIdFieldName")
    if operation == "upsert":
        fld = sobject.field(ext or "")
        if fld is None or not (fld.external_id or fld.name == "Id"):
            return sf_error(
                400,
                "INVALIDJOB",
                f"InvalidJob : Field name provided, {ext} is not an External ID or indexed field "
                f"for {sobject.name}",
            )
        ext = fld.name
    with state.store.transaction():
        n = state.store.next_sequence("bulk", 1)
        job_id = id18(f"750RL{n:010d}")
        now = format_sf_datetime(state.clock.tick())
        info = {
            "id": job_id,
            "operation": operation,
            "object": sobject.name,
            "createdById": id18("005RL0000000001"),
            "createdDate": now,
            "systemModstamp": now,
            "state": "Open",
            "externalIdFieldName": ext if operation == "upsert" else None,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(version),
            "jobType": "V2Ingest",
            "contentUrl": f"services/data/v{version}/jobs/ingest/{job_id}/batches",
            "lineEnding": body.get("lineEnding", "LF"),
            "columnDelimiter": body.get("columnDelimiter", "COMMA"),
        }
        state.store.save_job(job_id, info)
    return JSONResponse(_job_public(info))


def _job_or_404(state: SandboxState, job_id: str) -> dict | None:
    return state.store.get_job(normalise_id(job_id) or job_id)


async def upload_job_data(request: Request) -> Response:
    state = _state(request)
    info = _job_or_404(state, request.path_params["job_id"])
    if info is None:
        return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
    if info["state"] != "Open":
        return sf_error(
            409,
            "INVALIDJOBSTATE",
            f"Found unexpected state {info['state']} for operation upload data",
        )
    try:
        text = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError:
        return sf_error(400, "INVALIDBATCH", "InvalidBatch : the CSV must be UTF-8")
    with state.store.transaction():
        existing = state.store.get_job_csv(info["id"], "data_csv")
        if existing and text:
            text = text.split("\n", 1)[1] if "\n" in text else ""  # drop repeated header
        state.store.append_job_data(info["id"], text)
    _count(request, max(text.count("\n") - (0 if existing else 1), 0))
    return Response(status_code=201)


def _format_error(result: WriteResult) -> str:
    err = result.errors[0]
    return f"{err['statusCode']}:{err['message']}:{','.join(err['fields'])} --"


def _csv_text(header: list[str], rows: list[list[object]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def _process_job(state: SandboxState, info: dict) -> None:
    """Run the job's CSV through the same save path as Collections, in one transaction."""
    sobject = state.schema.sobject(info["object"])
    assert sobject is not None
    text = state.store.get_job_csv(info["id"], "data_csv")
    reader = csv.reader(io.StringIO(text))
    rows = [r for r in reader if r]
    if not rows:
        info.update(state="Failed", errorMessage="InvalidBatch : Empty CSV")
        return
    header, data = rows[0], rows[1:]
    for name in header:
        if sobject.field(name) is None:
            info.update(
                state="Failed", errorMessage=f"InvalidBatch : Field name not found : {name}"
            )
            return
    canonical = [sobject.field(h).name for h in header]  # type: ignore[union-attr]
    operation = info["operation"]
    key_field = {"insert": None, "update": "Id", "upsert": info.get("externalIdFieldName")}[
        operation
    ]
    items = []
    for row in data:
        values: dict = {}
        key_value = None
        for name, cell in zip(canonical, row, strict=False):
            if name == key_field or (name == "Id" and key_field == "Id"):
                key_value = cell or None
                continue
            if name == "Id":
                continue
            if cell == "":
                continue  # Bulk 2.0: empty means "leave unchanged"
            values[name] = None if cell == CSV_NULL else cell
        items.append(WriteItem(values, key_field, key_value))
    results = save_records(state.store, sobject, items, False, state.clock, "")
    ok_rows, failed_rows = [], []
    for row, res in zip(data, results, strict=True):
        if res.success:
            ok_rows.append([res.id, "true" if res.created else "false", *row])
        else:
            failed_rows.append(["", _format_error(res), *row])
    state.store.set_job_results(
        info["id"],
        _csv_text(["sf__Id", "sf__Created", *header], ok_rows),
        _csv_text(["sf__Id", "sf__Error", *header], failed_rows),
    )
    info.update(
        _polls_left=state.config.bulk_polls_in_progress,
        _processed=len(data),
        _failed=len(failed_rows),
    )


async def patch_job(request: Request) -> Response:
    state = _state(request)
    info = _job_or_404(state, request.path_params["job_id"])
    if info is None:
        return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
    body, err = await _json_body(request)
    if err:
        return err
    target = body.get("state") if isinstance(body, dict) else None
    if target not in ("UploadComplete", "Aborted"):
        return sf_error(400, "INVALIDJOBSTATE", f"Invalid state transition to {target}")
    # Salesforce aborts a job that is Open, UploadComplete or InProgress (what was already
    # processed stays written); UploadComplete only from Open
    if info["state"] != "Open" and not (target == "Aborted" and info["state"] == "UploadComplete"):
        return sf_error(
            409, "INVALIDJOBSTATE", f"Job in state {info['state']} cannot move to {target}"
        )
    with state.store.transaction():
        info["systemModstamp"] = format_sf_datetime(state.clock.tick())
        if target == "Aborted":
            info["state"] = "Aborted"
        else:
            info["state"] = "UploadComplete"
            _process_job(state, info)
            if info["state"] == "Failed":
                info.setdefault("_polls_left", 0)
        state.store.save_job(info["id"], info)
    response = dict(info)
    if response["state"] == "Failed":
        response["state"] = "UploadComplete"  # the failure shows on the next GET, as in Salesforce
    return JSONResponse(_job_public(response))


async def get_job(request: Request) -> Response:
    state = _state(request)
    info = _job_or_404(state, request.path_params["job_id"])
    if info is None:
        return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
    public = _job_public(info)
    public.update(retries=0, totalProcessingTime=0, apiActiveProcessingTime=0, apexProcessingTime=0)
    public["numberRecordsProcessed"] = 0
    public["numberRecordsFailed"] = 0
    if info["state"] == "UploadComplete":
        with state.store.transaction():
            if info.get("_polls_left", 0) > 0:
                info["_polls_left"] -= 1
                public["state"] = "InProgress"
            else:
                info["state"] = "JobComplete"
                public["state"] = "JobComplete"
            state.store.save_job(info["id"], info)
    if public["state"] == "JobComplete":
        public["numberRecordsProcessed"] = info.get("_processed", 0)
        public["numberRecordsFailed"] = info.get("_failed", 0)
    return JSONResponse(public)


async def list_jobs(request: Request) -> Response:
    """Get All Jobs (`GET jobs/ingest`): every ingest job of the org, up to 1000 a page."""
    state = _state(request)
    rows = state.store.conn.execute("SELECT info FROM bulk_jobs ORDER BY rowid").fetchall()
    records = []
    for (info,) in rows:
        public = _job_public(json.loads(info))
        if public["state"] == "UploadComplete":
            public["state"] = "InProgress"
        records.append(public)
    return JSONResponse({"done": True, "records": records[:1000], "nextRecordsUrl": None})


async def delete_job(request: Request) -> Response:
    state = _state(request)
    info = _job_or_404(state, request.path_params["job_id"])
    if info is None:
        return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
    return Response(status_code=204)


def _results(column: str):
    async def handler(request: Request) -> Response:
        state = _state(request)
        info = _job_or_404(state, request.path_params["job_id"])
        if info is None:
            return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
        if info["state"] != "JobComplete":
            return sf_error(
                409 if info["state"] != "Failed" else 400,
                "INVALIDJOBSTATE",
                f"Job {info['id']} is in state {info['state']}; results are available once it "
                "is JobComplete",
            )
        text = state.store.get_job_csv(info["id"], column) if column else ""
        if not column:
            header = state.store.get_job_csv(info["id"], "data_csv").split("\n", 1)[0]
            text = header + "\n"
        _count(request, max(text.count("\n") - 1, 0))
        return Response(text, media_type="text/csv")

    return handler


def routes() -> list[Route]:
    p = PREFIX
    job = p + "/jobs/ingest/{job_id}"
    return [
        Route("/services/data", versions, methods=["GET"]),
        Route("/services/data/", versions, methods=["GET"]),
        Route(p + "/limits", limits, methods=["GET"]),
        Route(p + "/limits/", limits, methods=["GET"]),
        Route(p + "/query", query, methods=["GET"]),
        Route(p + "/query/", query, methods=["GET"]),
        Route(p + "/queryAll", query_all, methods=["GET"]),
        Route(p + "/queryAll/", query_all, methods=["GET"]),
        Route(p + "/query/{locator}", query_more, methods=["GET"]),
        Route(p + "/queryAll/{locator}", query_more, methods=["GET"]),
        Route(p + "/sobjects/{sobject}/describe", describe, methods=["GET"]),
        Route(p + "/sobjects/{sobject}", create_record, methods=["POST"]),
        Route(p + "/sobjects/{sobject}/{record_id}", get_record, methods=["GET"]),
        Route(p + "/sobjects/{sobject}/{record_id}", update_record, methods=["PATCH"]),
        Route(p + "/sobjects/{sobject}/{record_id}", delete_record, methods=["DELETE"]),
        Route(p + "/sobjects/{sobject}/{field}/{value}", get_record_by_key, methods=["GET"]),
        Route(p + "/sobjects/{sobject}/{field}/{value}", upsert_record, methods=["PATCH"]),
        Route(p + "/composite/sobjects", collection_update, methods=["PATCH"]),
        Route(p + "/composite/sobjects/{sobject}/{field}", collection_upsert, methods=["PATCH"]),
        Route(p + "/jobs/ingest", create_job, methods=["POST"]),
        Route(p + "/jobs/ingest", list_jobs, methods=["GET"]),
        Route(p + "/jobs/ingest/", create_job, methods=["POST"]),
        Route(job, get_job, methods=["GET"]),
        Route(job, patch_job, methods=["PATCH"]),
        Route(job, delete_job, methods=["DELETE"]),
        Route(job + "/batches", upload_job_data, methods=["PUT"]),
        Route(job + "/batches/", upload_job_data, methods=["PUT"]),
        Route(job + "/successfulResults", _results("success_csv"), methods=["GET"]),
        Route(job + "/successfulResults/", _results("success_csv"), methods=["GET"]),
        Route(job + "/failedResults", _results("failed_csv"), methods=["GET"]),
        Route(job + "/failedResults/", _results("failed_csv"), methods=["GET"]),
        Route(job + "/unprocessedrecords", _results(""), methods=["GET"]),
        Route(job + "/unprocessedrecords/", _results(""), methods=["GET"]),
    ]
