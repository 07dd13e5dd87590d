"""The byte-level key count that lets the loader account for every key of every JSON record
without parsing a file twice: exact for clean text, never below the truth otherwise."""

from __future__ import annotations

import json

import pytest

from connectors.load.files import json_key_count

CASES = [
    # (text, keys with a value): worked by hand
    ('{"a":1,"b":{"c":"x","d":[{"e":2}]}}', 5),
    ('{"a":1,"b":null}', 1),  # a null-valued key holds no value
    ('{"a": 1, "b": null, "c": {"d": null}}', 2),  # json.dumps spacing
    ('{"url":"https://x.example/?a=b:c"}', 1),  # colons inside strings are not keys
    ('{"t":"say \\":null\\" ok"}', 1),  # an escaped quote-colon inside a string
]


@pytest.mark.parametrize(("text", "keys"), CASES)
def test_counts_keys_exactly(text: str, keys: int) -> None:
    assert json_key_count(text.encode()) == keys


def test_a_late_null_only_makes_the_count_too_high() -> None:
    """The head shows no null, so nulls are not subtracted: the count is an upper bound,
    which sends the file to the exact check rather than hiding a key."""
    lines = [json.dumps({"a": i}, separators=(",", ":")) for i in range(10_000)]
    lines.append('{"a":1,"b":null}')
    data = "\n".join(lines).encode()
    assert len(data) > 65_536
    assert json_key_count(data) == 10_000 + 2 > 10_000 + 1
