"""Deterministic vendor-shaped identifiers (Salesforce 18-char ids, GA4 cookies, click ids)."""

from __future__ import annotations

import hashlib

import numpy as np

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

SF_PREFIX = {
    "Account": "001",
    "Contact": "003",
    "Lead": "00Q",
    "Opportunity": "006",
    "Task": "00T",
    "Event": "00U",
    "Campaign": "701",
    "CampaignMember": "00v",
    "User": "005",
    "LeadHistory": "017",
    "OpportunityHistory": "008",
    "OpportunityContactRole": "00K",
}


def _b62(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 62)
        out.append(_B62[r])
    return "".join(reversed(out))


def sf_id(sobject: str, seq: int) -> str:
    """An 18-character Salesforce id: prefix, pod, sequence, and the case-safe suffix.

    The 3-character suffix follows Salesforce's algorithm (a bit per upper-case letter of
    each 5-character chunk), so real-world id tooling accepts these ids.
    """
    core = SF_PREFIX[sobject] + "5g" + _b62(seq, 10)
    suffix = ""
    for chunk in range(3):
        bits = 0
        for i, ch in enumerate(core[chunk * 5 : chunk * 5 + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << i
        suffix += _SUFFIX[bits]
    return core + suffix


def sf_ids(sobject: str, start: int, n: int) -> list[str]:
    """``n`` consecutive ids of one object, starting after sequence ``start``."""
    return [sf_id(sobject, start + i + 1) for i in range(n)]


def sha256_hex(values: list[str]) -> list[str]:
    """SHA-256 hex digests, as a site sets GA4 ``user_id`` from the normalised e-mail."""
    return [hashlib.sha256(v.encode("utf-8")).hexdigest() for v in values]


def click_ids(rng: np.random.Generator, n: int, prefix: str, length: int) -> np.ndarray:
    """Opaque URL-safe click ids (gclid, fbclid, li_fat_id look alike enough)."""
    alphabet = np.array(list(_B62 + "-_"))
    idx = rng.integers(0, len(alphabet), size=(n, length))
    body = alphabet[idx]
    return np.array([prefix + "".join(row) for row in body], dtype=object)
