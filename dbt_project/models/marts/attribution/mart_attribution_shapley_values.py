"""Shapley values of channel coalitions per conversion type, for every converting path.

Computed from exactly the journeys of ``mart_attribution_paths``. The players are the
channels; a coalition S is worth v(S) = the conversion rate of the journeys whose channels
all belong to S (conversions / journeys over every channel set contained in S; v(empty) =
0): what the coalition achieves on its own. For a path with channel set N the Shapley
value of channel c in N is its average marginal contribution v(S + c) - v(S) over the
orders of N. Negative values are floored to 0 and the values of a path normalised to sum
to 1 (Fractribution's rule), giving ``credit_share``; fct_attribution splits a channel's
share equally over its touches in the journey.

Fractribution values a coalition by the journeys with exactly that path; over channel sets
that estimate is too sparse (a set of six channels is walked by a handful of journeys):
on the medium sample it ranks paid search above the webinar whose planted lift is twice
as large, while the "all channels in S" worth recovers the planted order (BENCHMARKS.md).

Exact for up to ``shapley_max_exact_channels`` channels in a conversion type, all channel
sets at once: v is a subset-sum (zeta) transform of the per-set counts; with the Harsanyi
dividends d = Moebius(v), phi_c(N) = sum over T subset of N containing c of d(T) / |T|,
i.e. K subset-sum transforms over the 2^K coalitions, O(K^2 2^K), no loop over journeys
or paths. Beyond that the values are sampled: ``shapley_samples`` random orders per
channel set with a fixed seed (``shapley_seed``), vectorised over the orders.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = [
    "shapley_value_id",
    "conversion_type",
    "path",
    "channel",
    "shapley_value",
    "credit_share",
    "is_sampled",
]


def _path_masks(paths: pd.DataFrame, channels: list[str]) -> np.ndarray:
    """Bit mask of the channel set of every path (bit i = channels[i])."""
    index = {c: i for i, c in enumerate(channels)}
    exploded = (
        pd.DataFrame({"row": np.arange(len(paths)), "channel": paths["path"].str.split(" > ")})
        .explode("channel")
        .drop_duplicates()
    )
    bits = np.left_shift(np.int64(1), exploded["channel"].map(index).to_numpy(dtype=np.int64))
    masks = np.zeros(len(paths), dtype=np.int64)
    np.bitwise_or.at(masks, exploded["row"].to_numpy(), bits)
    return masks


def _zeta(values: np.ndarray, k: int) -> np.ndarray:
    """Subset sums: out[m] = sum of values[t] over every t contained in m."""
    out = values.copy()
    for i in range(k):
        view = out.reshape(-1, 2, 1 << i)
        view[:, 1, :] += view[:, 0, :]
    return out


def coalition_values(masks: np.ndarray, conversions: np.ndarray, journeys: np.ndarray, k: int):
    """v over all 2^k coalitions: conversion rate of the journeys whose channels all lie in
    the coalition."""
    conv = _zeta(np.bincount(masks, weights=conversions, minlength=1 << k), k)
    total = _zeta(np.bincount(masks, weights=journeys, minlength=1 << k), k)
    v = np.divide(conv, total, out=np.zeros_like(conv), where=total > 0)
    v[0] = 0.0
    return v


def exact_shapley(v: np.ndarray, k: int) -> np.ndarray:
    """phi[N, c] for every coalition N and channel c (0 where c is not in N)."""
    d = v.copy()
    for i in range(k):  # Moebius transform: Harsanyi dividends
        view = d.reshape(-1, 2, 1 << i)
        view[:, 1, :] -= view[:, 0, :]
    masks = np.arange(1 << k)
    size = np.zeros(1 << k)
    for i in range(k):
        size += (masks >> i) & 1
    share = np.divide(d, size, out=np.zeros_like(d), where=size > 0)
    phi = np.zeros((1 << k, k))
    for c in range(k):  # zeta (subset-sum) transform of the dividends containing c
        g = np.where((masks >> c) & 1, share, 0.0)
        for i in range(k):
            view = g.reshape(-1, 2, 1 << i)
            view[:, 1, :] += view[:, 0, :]
        phi[:, c] = np.where((masks >> c) & 1, g, 0.0)
    return phi


def sampled_shapley(
    coalitions: np.ndarray,
    observed: np.ndarray,
    conversions: np.ndarray,
    journeys: np.ndarray,
    k: int,
    samples: int,
    seed: int,
) -> np.ndarray:
    """phi[j, c] for the coalitions[j], from `samples` random orders of its channels each;
    v of a coalition sums the observed channel sets it contains (chunked broadcast)."""

    def v(mask: np.ndarray) -> np.ndarray:
        flat = mask.ravel()
        conv = np.zeros(len(flat))
        total = np.zeros(len(flat))
        for lo in range(0, len(flat), 4096):
            inside = (observed[None, :] & ~flat[lo : lo + 4096, None]) == 0
            conv[lo : lo + 4096] = inside @ conversions
            total[lo : lo + 4096] = inside @ journeys
        rate = np.divide(conv, total, out=np.zeros_like(conv), where=total > 0)
        return np.where(flat == 0, 0.0, rate).reshape(mask.shape)

    rng = np.random.default_rng(seed)
    phi = np.zeros((len(coalitions), k))
    for j, mask in enumerate(coalitions):  # one vectorised draw per distinct channel set
        members = np.array([c for c in range(k) if (int(mask) >> c) & 1])
        perms = rng.permuted(np.tile(members, (samples, 1)), axis=1)
        bits = np.left_shift(np.int64(1), perms.astype(np.int64))
        after = np.bitwise_or.accumulate(bits, axis=1)
        before = after - bits
        gain = v(after) - v(before)
        np.add.at(phi[j], perms.ravel(), gain.ravel() / samples)
    return phi


def shapley_table(
    paths: pd.DataFrame, max_exact: int = 16, samples: int = 2000, seed: int = 42
) -> pd.DataFrame:
    """One row per (conversion type, converting path, channel of the path)."""
    frames = []
    for conversion_type, group in paths.groupby("conversion_type", sort=True):
        group = group[group["path"].notna() & (group["path"] != "")].reset_index(drop=True)
        if group.empty or group["conversions"].sum() == 0:
            continue
        channels = sorted(set(group["path"].str.split(" > ").explode()))
        k = len(channels)
        masks = _path_masks(group, channels)
        journeys = (group["conversions"] + group["non_conversions"]).to_numpy(dtype=float)
        conversions = group["conversions"].to_numpy(dtype=float)
        converting = np.unique(masks[conversions > 0])
        if k <= max_exact:
            phi = exact_shapley(coalition_values(masks, conversions, journeys, k), k)[converting]
            sampled = False
        else:
            frame = pd.DataFrame({"m": masks, "c": conversions, "j": journeys}).groupby("m").sum()
            phi = sampled_shapley(
                converting,
                frame.index.to_numpy(dtype=np.int64),
                frame["c"].to_numpy(dtype=float),
                frame["j"].to_numpy(dtype=float),
                k,
                samples,
                seed,
            )
            sampled = True
        member = ((converting[:, None] >> np.arange(k)[None, :]) & 1).astype(bool)
        floored = np.where(member, np.maximum(phi, 0.0), 0.0)
        total = floored.sum(axis=1, keepdims=True)
        even = member / member.sum(axis=1, keepdims=True)
        share = np.where(total > 0, floored / np.where(total > 0, total, 1.0), even)
        set_rows, channel_idx = np.nonzero(member)
        per_set = pd.DataFrame(
            {
                "mask": converting[set_rows],
                "channel": np.array(channels, dtype=object)[channel_idx],
                "shapley_value": phi[set_rows, channel_idx],
                "credit_share": share[set_rows, channel_idx],
            }
        )
        converting_paths = pd.DataFrame(
            {"path": group["path"], "mask": masks, "conversions": conversions}
        )
        converting_paths = converting_paths[converting_paths["conversions"] > 0]
        rows = converting_paths[["path", "mask"]].merge(per_set, on="mask")
        rows.insert(0, "conversion_type", conversion_type)
        rows["is_sampled"] = sampled
        frames.append(rows.drop(columns="mask"))
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    out.insert(
        0, "shapley_value_id", out["conversion_type"] + "|" + out["path"] + "|" + out["channel"]
    )
    return out[COLUMNS]


def to_pandas(relation) -> pd.DataFrame:
    """The relation as pandas on any dbt Python adapter (DuckDB .df(), Spark .toPandas(),
    Snowpark .to_pandas())."""
    for method in ("df", "toPandas", "to_pandas"):
        if hasattr(relation, method):
            return getattr(relation, method)()
    raise TypeError(f"cannot turn {type(relation).__name__} into a pandas DataFrame")


def model(dbt, session):
    dbt.config(materialized="table")
    paths = to_pandas(dbt.ref("mart_attribution_paths"))
    table = shapley_table(
        paths[["conversion_type", "path", "conversions", "non_conversions"]],
        max_exact=int(dbt.config.get("shapley_max_exact_channels") or 16),
        samples=int(dbt.config.get("shapley_samples") or 2000),
        seed=int(dbt.config.get("shapley_seed") or 42),
    )
    return table.astype(
        {"shapley_value": "float64", "credit_share": "float64", "is_sampled": "bool"}
    )
