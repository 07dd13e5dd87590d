"""HubSpot CRM v3 subset (contacts, companies, properties) served by the sandbox.

Batch semantics follow HubSpot: 200 when every input succeeded, 207 multi-status with an
`errors` list when some failed, 400 VALIDATION_ERROR for a malformed batch, 409 CONFLICT when
a unique property value belongs to another object (the whole batch is refused).
"""

from __future__ import annotations

import json
import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.schema import (
    HS_SYSTEM_PROPERTIES,
    FieldError,
    HsProperty,
    coerce_hs_value,
    format_hs_datetime,
)
from sandbox.state import SandboxState
from sandbox.store import unique_value

OBJECT_TYPES = {
    "contacts": "contacts",
    "0-1": "contacts",
    "companies": "companies",
    "0-2": "companies",
}
DEFAULT_PROPERTIES = {
    "contacts": ["email", "firstname", "lastname"],
    "companies": ["name", "domain"],
}
PROPERTY_TYPES = {"string", "number", "date", "datetime", "bool", "enumeration"}


def hs_error(status: int, category: str, message: str, **extra: object) -> JSONResponse:
    body = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
        **extra,
    }
    return JSONResponse(body, status_code=status)


def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox


def _object_type(request: Request) -> str | None:
    return OBJECT_TYPES.get(request.path_params["object_type"])


def _table(object_type: str) -> str:
    return f"hubspot/{object_type}"


def _unknown_type(request: Request) -> JSONResponse:
    return hs_error(
        400,
        "VALIDATION_ERROR",
        f"Unable to infer object type from: {request.path_params['object_type']}",
    )


async def _body(request: Request) -> tuple[dict | None, JSONResponse | None]:
    try:
        body = json.loads(await request.body() or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return None, hs_error(400, "VALIDATION_ERROR", f"Invalid input JSON on line 1: {exc}")
    if not isinstance(body, dict):
        return None, hs_error(400, "VALIDATION_ERROR", "Invalid input JSON: expected an object")
    return body, None


def _view(record: dict, wanted: list[str] | None) -> dict:
    names = list(wanted) if wanted else []
    props = {name: record.get(name) for name in names}
    for name in HS_SYSTEM_PROPERTIES:
        props[name] = record.get(name)
    return {
        "id": record["hs_object_id"],
        "properties": props,
        "createdAt": record["createdate"],
        "updatedAt": record["lastmodifieddate"],
        "archived": False,
    }


def _now(state: SandboxState) -> str:
    return format_hs_datetime(state.clock.tick())


def _resolve(
    state: SandboxState, object_type: str, id_property: str, values: list[str]
) -> dict[str, str]:
    """Map normalised id values to hs_object_id through a unique property."""
    if id_property == "hs_object_id":
        found = state.store.get_many(_table(object_type), [str(v) for v in values])
        return {unique_value(k): k for k, rec in found.items() if not rec.get("archived")}
    return state.store.lookup_unique(_table(object_type), id_property, values)


def _unique_props(props: dict[str, HsProperty]) -> list[str]:
    return [p.name for p in props.values() if p.unique]


async def batch_upsert(request: Request) -> Response:
    state = _state(request)
    object_type = _object_type(request)
    if object_type is None:
        return _unknown_type(request)
    body, err = await _body(request)
    if err:
        return err
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or any(not isinstance(i, dict) for i in inputs):
        return hs_error(
            400, "VALIDATION_ERROR", "Invalid input JSON: `inputs` must be a list of objects"
        )
    request.scope["revloop_records"] = len(inputs)
    limit = state.config.hubspot_batch_limit
    if len(inputs) > limit:
        return hs_error(
            400,
            "VALIDATION_ERROR",
            f"Batch input size of {len(inputs)} exceeds the limit of {limit}",
        )
    props = state.schema.hubspot[object_type]
    id_props = {str(i.get("idProperty") or "hs_object_id") for i in inputs}
    for id_prop in id_props:
        prop = props.get(id_prop)
        if prop is None or not prop.unique:
            return hs_error(
                400,
                "VALIDATION_ERROR",
                f"{id_prop} is not a unique property of {object_type}; idProperty must name a "
                "property with hasUniqueValue=true",
            )
    keys = [unique_value(i.get("id", "")) for i in inputs]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        return hs_error(
            400,
            "VALIDATION_ERROR",
            f"Duplicate IDs found in batch input: {dupes}. IDs must be unique",
        )

    started = _now(state)
    errors: list[dict] = []
    accepted, refusal = _clean_inputs(inputs, props)
    if refusal is not None:
        return refusal
    # resolve targets per idProperty
    targets: dict[int, str | None] = {}
    for id_prop in id_props:
        positions = [
            p for p, _ in accepted if str(inputs[p].get("idProperty") or "hs_object_id") == id_prop
        ]
        found = _resolve(state, object_type, id_prop, [str(inputs[p]["id"]) for p in positions])
        for p in positions:
            targets[p] = found.get(unique_value(inputs[p]["id"]))
    still: list[tuple[int, dict]] = []
    for pos, clean in accepted:
        if (
            targets[pos] is None
            and str(inputs[pos].get("idProperty") or "hs_object_id") == "hs_object_id"
        ):
            errors.append(
                _input_error(
                    inputs[pos],
                    "OBJECT_NOT_FOUND",
                    f"Could not get some {object_type[:-1].upper()} objects, they may be deleted "
                    "or "
                    "not exist. Check that ids are valid.",
                    [],
                )
            )
        else:
            still.append((pos, clean))
    accepted = still

    return _write_batch(state, object_type, props, inputs, accepted, targets, started, errors)


def _write_batch(
    state: SandboxState,
    object_type: str,
    props: dict[str, HsProperty],
    inputs: list[dict],
    accepted: list[tuple[int, dict]],
    targets: dict[int, str | None],
    started: str,
    errors: list[dict],
) -> Response:
    """Check unique values (409 for the whole batch), then write every accepted input."""
    # unique properties: a value held by another object fails the whole batch (409)
    claimed: dict[tuple[str, str], int] = {}
    for name in _unique_props(props):
        if name == "hs_object_id":
            continue
        values = [c[name] for _, c in accepted if c.get(name)]
        holders = state.store.lookup_unique(_table(object_type), name, values) if values else {}
        for pos, clean in accepted:
            value = clean.get(name)
            if not value:
                continue
            norm = unique_value(value)
            holder = holders.get(norm)
            other = claimed.get((name, norm))
            if (holder is not None and holder != targets[pos]) or (
                other is not None and other != pos
            ):
                return hs_error(
                    409,
                    "CONFLICT",
                    f"{object_type[:-1].capitalize()} already exists. Existing ID: "
                    f"{holder or 'another input of this batch'}",
                    context={"propertyName": [name], "ids": [str(inputs[pos].get("id"))]},
                )
            claimed[(name, norm)] = pos

    results = []
    with state.store.transaction():
        creates = [p for p, _ in accepted if targets[p] is None]
        first = (
            state.store.next_sequence(f"hs:{object_type}", len(creates), start=100001)
            if creates
            else 0
        )
        fresh = iter(str(n) for n in range(first, first + len(creates)))
        existing = state.store.get_many(_table(object_type), [t for t in targets.values() if t])
        stamp = _now(state)
        rows = []
        unique = _unique_props(props)
        rekeyed: set[str] = set()  # records whose unique values changed: their index rows
        for pos, clean in accepted:
            rid = targets[pos]
            is_new = rid is None
            if is_new:
                rid = next(fresh)
                record = {"hs_object_id": rid, "createdate": stamp}
            else:
                record = dict(existing[rid])
            before = {name: record.get(name) for name in unique}
            record.update(clean)
            record["lastmodifieddate"] = stamp
            if is_new or any(record.get(name) != before[name] for name in unique):
                rekeyed.add(rid)
            rows.append((rid, stamp, False, record))
            view = _view(record, list(clean))
            view["new"] = is_new
            results.append(view)
        state.store.write_records(_table(object_type), rows, unique, rekeyed)
    body_out: dict = {
        "status": "COMPLETE",
        "results": results,
        "startedAt": started,
        "completedAt": _now(state),
    }
    if errors:
        body_out["numErrors"] = len(errors)
        body_out["errors"] = errors
        return JSONResponse(body_out, status_code=207)
    return JSONResponse(body_out)


def _property_errors_response(prop_errors: list[dict]) -> JSONResponse:
    """HubSpot refuses a whole batch when any input carries an invalid value or an unknown
    property: 400 VALIDATION_ERROR naming the properties, never the input (the client has to
    split the batch to find the record)."""
    return hs_error(
        400,
        "VALIDATION_ERROR",
        "Property values were not valid: "
        + json.dumps(
            [
                {
                    "isValid": False,
                    "message": e["message"],
                    "error": e["code"],
                    "name": e["context"]["propertyName"][0],
                    "localizedErrorMessage": e["message"],
                }
                for e in prop_errors
            ]
        ),
        errors=prop_errors,
    )


def _clean_inputs(
    inputs: list[dict], props: dict[str, HsProperty], id_required: bool = True
) -> tuple[list[tuple[int, dict]], JSONResponse | None]:
    """(position, coerced properties) per input, or the 400 that refuses the batch."""
    accepted: list[tuple[int, dict]] = []
    prop_errors: list[dict] = []
    for pos, item in enumerate(inputs):
        id_prop = str(item.get("idProperty") or "hs_object_id")
        raw_props = item.get("properties")
        if not isinstance(raw_props, dict) or (id_required and item.get("id") in (None, "")):
            return [], hs_error(
                400,
                "VALIDATION_ERROR",
                f"Invalid input JSON on input {pos}: each input needs `id` and `properties`",
            )
        clean: dict[str, str] = {}
        for name, value in raw_props.items():
            prop = props.get(name)
            if prop is None:
                prop_errors.append(
                    {
                        "message": f'Property "{name}" does not exist',
                        "code": "PROPERTY_DOESNT_EXIST",
                        "context": {"propertyName": [name]},
                    }
                )
                continue
            try:
                clean[name] = coerce_hs_value(prop, value)
            except FieldError as exc:
                prop_errors.append(
                    {"message": exc.message, "code": exc.code, "context": {"propertyName": [name]}}
                )
        if id_required and id_prop != "hs_object_id":
            clean[id_prop] = str(item["id"]).lower() if id_prop == "email" else str(item["id"])
        if "email" in clean:
            clean["email"] = clean["email"].lower()
        accepted.append((pos, clean))
    if prop_errors:
        return [], _property_errors_response(prop_errors)
    return accepted, None


def _input_error(item: dict, category: str, message: str, errors: list[dict]) -> dict:
    return {
        "status": "error",
        "category": category,
        "message": message,
        "context": {"ids": [str(item.get("id"))]},
        "errors": errors,
    }


async def batch_update(request: Request) -> Response:
    """`POST objects/{type}/batch/update`: inputs `{id, properties}` by record id (or by the
    unique `idProperty`). An id that names no live object refuses the whole batch (404
    OBJECT_NOT_FOUND with the ids in `context.ids`); nothing is created, ever."""
    state = _state(request)
    object_type = _object_type(request)
    if object_type is None:
        return _unknown_type(request)
    body, err = await _body(request)
    if err:
        return err
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or any(not isinstance(i, dict) for i in inputs):
        return hs_error(
            400, "VALIDATION_ERROR", "Invalid input JSON: `inputs` must be a list of objects"
        )
    request.scope["revloop_records"] = len(inputs)
    if len(inputs) > state.config.hubspot_batch_limit:
        return hs_error(
            400,
            "VALIDATION_ERROR",
            f"Batch input size of {len(inputs)} exceeds the limit of "
            f"{state.config.hubspot_batch_limit}",
        )
    props = state.schema.hubspot[object_type]
    id_props = {str(i.get("idProperty") or "hs_object_id") for i in inputs}
    for id_prop in id_props:
        if id_prop not in props or not props[id_prop].unique:
            return hs_error(
                400,
                "VALIDATION_ERROR",
                f"Unable to perform update/upsert by non-unique {object_type} property {id_prop}",
            )
    keys = [unique_value(i.get("id", "")) for i in inputs]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        return hs_error(
            400,
            "VALIDATION_ERROR",
            f"Duplicate IDs found in batch input: {dupes}. IDs must be unique",
        )
    started = _now(state)
    accepted, refusal = _clean_inputs(inputs, props)
    if refusal is not None:
        return refusal
    for pos, clean in accepted:  # an update never sets the id property from `id`
        id_prop = str(inputs[pos].get("idProperty") or "hs_object_id")
        if id_prop != "hs_object_id" and id_prop not in (inputs[pos].get("properties") or {}):
            clean.pop(id_prop, None)
    targets: dict[int, str | None] = {}
    for id_prop in id_props:
        positions = [
            p for p, _ in accepted if str(inputs[p].get("idProperty") or "hs_object_id") == id_prop
        ]
        found = _resolve(state, object_type, id_prop, [str(inputs[p]["id"]) for p in positions])
        for p in positions:
            targets[p] = found.get(unique_value(inputs[p]["id"]))
    missing = [str(inputs[p]["id"]) for p, _ in accepted if targets[p] is None]
    if missing:
        return hs_error(
            404,
            "OBJECT_NOT_FOUND",
            f"Could not get some {object_type[:-1].upper()} objects, they may be deleted or not "
            "exist. Check that ids are valid.",
            context={"ids": missing},
        )
    return _write_batch(state, object_type, props, inputs, accepted, targets, started, [])


async def batch_create(request: Request) -> Response:
    """`POST objects/{type}/batch/create`: inputs `{properties}`, every one a new object (201).
    What forms, imports and other integrations do: a portal fills up with records that carry
    no revloop key (and HubSpot does not de-duplicate companies created this way)."""
    state = _state(request)
    object_type = _object_type(request)
    if object_type is None:
        return _unknown_type(request)
    body, err = await _body(request)
    if err:
        return err
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or any(not isinstance(i, dict) for i in inputs):
        return hs_error(
            400, "VALIDATION_ERROR", "Invalid input JSON: `inputs` must be a list of objects"
        )
    request.scope["revloop_records"] = len(inputs)
    if len(inputs) > state.config.hubspot_batch_limit:
        return hs_error(
            400,
            "VALIDATION_ERROR",
            f"Batch input size of {len(inputs)} exceeds the limit of "
            f"{state.config.hubspot_batch_limit}",
        )
    props = state.schema.hubspot[object_type]
    started = _now(state)
    accepted, refusal = _clean_inputs(inputs, props, id_required=False)
    if refusal is not None:
        return refusal
    targets: dict[int, str | None] = {p: None for p, _ in accepted}
    response = _write_batch(state, object_type, props, inputs, accepted, targets, started, [])
    if response.status_code == 200:
        response.status_code = 201
    return response


_SEARCH_OPERATORS = {"EQ", "NEQ", "IN", "NOT_IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY"}


def _filter_matches(record: dict, flt: dict) -> bool:
    name = str(flt.get("propertyName", ""))
    op = str(flt.get("operator", "EQ"))
    value = record.get(name)
    present = value not in (None, "")
    if op == "HAS_PROPERTY":
        return present
    if op == "NOT_HAS_PROPERTY":
        return not present
    text = unique_value(value) if present else ""
    if op in ("EQ", "NEQ"):
        hit = present and text == unique_value(flt.get("value", ""))
        return hit if op == "EQ" else not hit
    wanted = {unique_value(v) for v in flt.get("values") or []}
    hit = present and text in wanted
    return hit if op == "IN" else not hit


async def search(request: Request) -> Response:
    """`POST objects/{type}/search`: filterGroups (OR of ANDs; ≤ 5 groups, ≤ 10 filters a group,
    ≤ 25 in all), operators EQ NEQ IN NOT_IN HAS_PROPERTY NOT_HAS_PROPERTY (string values
    compare case-insensitively), `limit` ≤ 200, `after` paging, sorts by one property. Rate
    limited apart from the other endpoints (`hubspot_search_rate_per_s`, 429 SECONDLY)."""
    state = _state(request)
    object_type = _object_type(request)
    if object_type is None:
        return _unknown_type(request)
    if not state.search_allowed():
        return hs_error(
            429,
            "RATE_LIMITS",
            "You have reached your secondly limit.",
            errorType="RATE_LIMIT",
            policyName="SECONDLY",
        )
    body, err = await _body(request)
    if err:
        return err
    groups = body.get("filterGroups") or []
    filters = [f for g in groups for f in (g.get("filters") or [])]
    if (
        len(groups) > 5
        or any(len(g.get("filters") or []) > 10 for g in groups)
        or len(filters) > 25
    ):
        return hs_error(
            400,
            "VALIDATION_ERROR",
            "Too many filters: at most 5 filterGroups, 10 filters per group and 25 in all",
        )
    props = state.schema.hubspot[object_type]
    for flt in filters:
        if (
            flt.get("operator", "EQ") not in _SEARCH_OPERATORS
            or flt.get("propertyName") not in props
        ):
            return hs_error(
                400,
                "VALIDATION_ERROR",
                f"Invalid filter {json.dumps(flt)}: unknown property or operator",
            )
    try:
        limit = int(body.get("limit", 10))
        after = int(body.get("after") or 0)
    except (TypeError, ValueError):
        return hs_error(400, "VALIDATION_ERROR", "limit and after must be integers")
    if not 0 < limit <= 200:
        return hs_error(400, "VALIDATION_ERROR", "limit must be between 1 and 200")
    matched = [
        r
        for r in state.store.scan(_table(object_type), include_deleted=False)
        if not r.get("archived")
        and (
            not groups
            or any(all(_filter_matches(r, f) for f in g.get("filters") or []) for g in groups)
        )
    ]
    sorts = body.get("sorts") or []
    if sorts:
        sort = sorts[0] if isinstance(sorts[0], dict) else {"propertyName": str(sorts[0])}
        name = str(sort.get("propertyName", "hs_object_id"))
        matched.sort(
            key=lambda r: (str(r.get(name) or ""), int(r["hs_object_id"])),
            reverse=str(sort.get("direction", "ASCENDING")).upper() == "DESCENDING",
        )
    else:
        matched.sort(key=lambda r: int(r["hs_object_id"]))
    page = matched[after : after + limit]
    wanted = _wanted(props, body.get("properties"), object_type)
    out: dict = {"total": len(matched), "results": [_view(r, wanted) for r in page]}
    if after + limit < len(matched):
        out["paging"] = {"next": {"after": str(after + limit)}}
    request.scope["revloop_records"] = len(page)
    return JSONResponse(out)


async def archive_object(request: Request) -> Response:
    """`DELETE objects/{type}/{id}`: archive (what a user's delete or a GDPR request does)."""
    state = _state(request)
    object_type = _object_type(request)
    if object_type is None:
        return _unknown_type(request)
    rid = request.path_params["object_id"]
    record = state.store.get_many(_table(object_type), [rid]).get(rid)
    if record is not None and not record.get("archived"):
        stamp = _now(state)
        record = dict(record, archived=True, lastmodifieddate=stamp)
        with state.store.transaction():
            state.store.write_records(_table(object_type), [(rid, stamp, True, record)], [])
            state.store.conn.execute(
                "DELETE FROM unique_keys WHERE object = ? AND id = ?", (_table(object_type), rid)
            )
    return Response(status_code=204)


def _wanted(props: dict[str, HsProperty], names: list[str] | None, object_type: str) -> list[str]:
    if not names:
        return DEFAULT_PROPERTIES[object_type]
    return [n for n in names if n in props]  # HubSpot silently ignores unknown read properties


async def batch_read(request: Request) -> Response:
    state = _state(request)
    object_type = _object_type(request)
    if object_type is None:
        return _unknown_type(request)
    body, err = await _body(request)
    if err:
        return err
    inputs = body.get("inputs")
    if not isinstance(inputs, list):
        return hs_error(400, "VALIDATION_ERROR", "Invalid input JSON: `inputs` must be a list")
    request.scope["revloop_records"] = len(inputs)
    if len(inputs) > state.config.hubspot_batch_limit:
        return hs_error(
            400,
            "VALIDATION_ERROR",
            f"Batch input size of {len(inputs)} exceeds the limit of "
            f"{state.config.hubspot_batch_limit}",
        )
    props = state.schema.hubspot[object_type]
    id_prop = body.get("idProperty") or "hs_object_id"
    if id_prop not in props or not props[id_prop].unique:
        return hs_error(
            400, "VALIDATION_ERROR", f"{id_prop} is not a unique property of {object_type}"
        )
    ids = [str(i.get("id", "")) for i in inputs if isinstance(i, dict)]
    found = _resolve(state, object_type, id_prop, ids)
    records = state.store.get_many(_table(object_type), list(found.values()))
    wanted = _wanted(props, body.get("properties"), object_type)
    results, missing = [], []
    for value in ids:
        rid = found.get(unique_value(value))
        if rid is None or rid not in records:
            missing.append(value)
        else:
            results.append(_view(records[rid], wanted))
    now = _now(state)
    out: dict = {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}
    if missing:
        out["numErrors"] = 1
        out["errors"] = [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": f"Could not get some {object_type[:-1].upper()} objects, they may be "
                "deleted or not exist. Check that ids are valid.",
                "context": {"ids": missing},
            }
        ]
        return JSONResponse(out, status_code=207)
    return JSONResponse(out)


def _props_param(request: Request) -> list[str] | None:
    values = request.query_params.getlist("properties")
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    return names or None


async def get_object(request: Request) -> Response:
    state = _state(request)
    object_type = _object_type(request)
    if object_type is None:
        return _unknown_type(request)
    props = state.schema.hubspot[object_type]
    id_prop = request.query_params.get("idProperty") or "hs_object_id"
    if id_prop not in props or not props[id_prop].unique:
        return hs_error(
            400, "VALIDATION_ERROR", f"{id_prop} is not a unique property of {object_type}"
        )
    value = request.path_params["object_id"]
    rid = _resolve(state, object_type, id_prop, [value]).get(unique_value(value))
    record = state.store.get_many(_table(object_type), [rid]).get(rid) if rid else None
    if record is None:
        return hs_error(404, "OBJECT_NOT_FOUND", "resource not found")
    request.scope["revloop_records"] = 1
    return JSONResponse(_view(record, _wanted(props, _props_param(request), object_type)))


async def list_objects(request: Request) -> Response:
    state = _state(request)
    object_type = _object_type(request)
    if object_type is None:
        return _unknown_type(request)
    try:
        limit = min(max(int(request.query_params.get("limit", "10")), 1), 100)
        after_token = request.query_params.get("after")
        after = int(after_token) if after_token else 0
    except ValueError:
        return hs_error(400, "VALIDATION_ERROR", "limit and after must be integers")
    props = state.schema.hubspot[object_type]
    page = state.store.scan_page(_table(object_type), after, limit + 1)
    wanted = _wanted(props, _props_param(request), object_type)
    out: dict = {"results": [_view(r, wanted) for _, r in page[:limit]]}
    if len(page) > limit:
        next_after = page[limit - 1][0]
        out["paging"] = {
            "next": {
                "after": next_after,
                "link": f"{request.base_url}crm/v3/objects/{object_type}"
                f"?after={next_after}&limit={limit}",
            }
        }
    request.scope["revloop_records"] = len(out["results"])
    return JSONResponse(out)


async def list_properties(request: Request) -> Response:
    object_type = _object_type(request)
    if object_type is None:
        return _unknown_type(request)
    props = _state(request).schema.hubspot[object_type]
    return JSONResponse({"results": [p.describe(object_type) for p in props.values()]})


async def get_property(request: Request) -> Response:
    object_type = _object_type(request)
    if object_type is None:
        return _unknown_type(request)
    prop = _state(request).schema.hubspot[object_type].get(request.path_params["name"])
    if prop is None:
        return hs_error(
            404, "OBJECT_NOT_FOUND", f"Unable to find property {request.path_params['name']}"
        )
    return JSONResponse(prop.describe(object_type))


async def create_property(request: Request) -> Response:
    state = _state(request)
    object_type = _object_type(request)
    if object_type is None:
        return _unknown_type(request)
    body, err = await _body(request)
    if err:
        return err
    name = body.get("name")
    ptype = body.get("type")
    if not isinstance(name, str) or not name or name != name.lower() or " " in name:
        return hs_error(400, "VALIDATION_ERROR", "Property name must be lower-case, without spaces")
    if ptype not in PROPERTY_TYPES:
        return hs_error(
            400,
            "VALIDATION_ERROR",
            f"Invalid property type {ptype!r}; one of {sorted(PROPERTY_TYPES)}",
        )
    props = state.schema.hubspot[object_type]
    if name in props:
        return hs_error(409, "OBJECT_ALREADY_EXISTS", f"Property named '{name}' already exists.")
    definition = {
        "name": name,
        "type": ptype,
        "unique": bool(body.get("hasUniqueValue", False)),
        "options": [o.get("value") for o in body.get("options") or [] if isinstance(o, dict)],
    }
    with state.store.transaction():
        state.store.save_hs_property(object_type, definition)
    prop = property_from_definition(definition)
    props[name] = prop
    return JSONResponse(prop.describe(object_type), status_code=201)


def property_from_definition(definition: dict) -> HsProperty:
    return HsProperty(
        name=definition["name"],
        type=definition["type"],
        unique=definition.get("unique", False),
        options=tuple(definition.get("options") or ()),
        custom=True,
    )


def routes() -> list[Route]:
    p = "/crm/v3"
    return [
        Route(p + "/objects/{object_type}/batch/upsert", batch_upsert, methods=["POST"]),
        Route(p + "/objects/{object_type}/batch/create", batch_create, methods=["POST"]),
        Route(p + "/objects/{object_type}/batch/read", batch_read, methods=["POST"]),
        Route(p + "/objects/{object_type}/batch/update", batch_update, methods=["POST"]),
        Route(p + "/objects/{object_type}/search", search, methods=["POST"]),
        Route(p + "/objects/{object_type}", list_objects, methods=["GET"]),
        Route(p + "/objects/{object_type}/{object_id}", get_object, methods=["GET"]),
        Route(p + "/objects/{object_type}/{object_id}", archive_object, methods=["DELETE"]),
        Route(p + "/properties/{object_type}", list_properties, methods=["GET"]),
        Route(p + "/properties/{object_type}", create_property, methods=["POST"]),
        Route(p + "/properties/{object_type}/{name}", get_property, methods=["GET"]),
    ]
