"""First-order Markov-chain removal effects per conversion type and channel.

Computed from exactly the journeys of ``mart_attribution_paths`` (Anderl et al. 2016, the
method of the ChannelAttribution package): states ``(start)``, one per channel,
``(conversion)`` and ``(null)``; every path ``c1 > ... > cn`` with ``conversions`` and
``non_conversions`` adds ``journeys`` transitions start -> c1 -> ... -> cn and ends in
conversion (``conversions`` times) or null (``non_conversions`` times). Paths have their
consecutive repeats collapsed, which leaves absorption probabilities unchanged (a self-loop
only delays). The conversion probability from start is solved exactly from the absorbing
chain ((I - Q) p = r), not simulated. Removing a channel sends every transition into it to
null; its removal effect is ``1 - P(conversion without it) / P(conversion)``.

``markov_weight`` = removal effect / sum of removal effects of the conversion type, and
``markov_conversions`` = weight x conversions (ChannelAttribution's ``total_conversions``).
fct_attribution splits each conversion over the channels of its own path in proportion to
their removal effects. Set-based: the transition counts are pandas group-bys over the
distinct paths, the chain a K x K solve per channel (K = number of channels).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = [
    "removal_effect_id",
    "conversion_type",
    "channel",
    "removal_effect",
    "conversion_probability",
    "conversion_probability_without",
    "markov_weight",
    "markov_conversions",
    "journeys_with_channel",
]


def transition_counts(paths: pd.DataFrame) -> pd.DataFrame:
    """(from_state, to_state, count) of one conversion type's paths, vectorised."""
    paths = paths[paths["path"].notna() & (paths["path"] != "")]
    journeys = paths["conversions"] + paths["non_conversions"]
    steps = pd.DataFrame(
        {
            "path_row": np.arange(len(paths)),
            "channel": paths["path"].str.split(" > ").to_numpy(),
            "journeys": journeys.to_numpy(),
            "conversions": paths["conversions"].to_numpy(),
            "non_conversions": paths["non_conversions"].to_numpy(),
        }
    ).explode("channel", ignore_index=True)
    first = ~steps["path_row"].duplicated(keep="first")
    last = ~steps["path_row"].duplicated(keep="last")
    nxt = steps["channel"].shift(-1)
    parts = [
        pd.DataFrame(
            {
                "src": "(start)",
                "dst": steps.loc[first, "channel"],
                "n": steps.loc[first, "journeys"],
            }
        ),
        pd.DataFrame(
            {
                "src": steps.loc[~last, "channel"],
                "dst": nxt[~last],
                "n": steps.loc[~last, "journeys"],
            }
        ),
        pd.DataFrame(
            {
                "src": steps.loc[last, "channel"],
                "dst": "(conversion)",
                "n": steps.loc[last, "conversions"],
            }
        ),
        pd.DataFrame(
            {
                "src": steps.loc[last, "channel"],
                "dst": "(null)",
                "n": steps.loc[last, "non_conversions"],
            }
        ),
    ]
    out = pd.concat(parts, ignore_index=True)
    out = out[out["n"] > 0]
    return out.groupby(["src", "dst"], as_index=False)["n"].sum()


def removal_effects(paths: pd.DataFrame) -> pd.DataFrame:
    """Removal effect of every channel of one conversion type's paths."""
    counts = transition_counts(paths)
    channels = sorted(set(counts["src"]) - {"(start)"})
    k = len(channels)
    if k == 0:
        return pd.DataFrame(columns=["channel", "removal_effect"])
    index = {c: i for i, c in enumerate(channels)}
    q = np.zeros((k, k))
    r = np.zeros(k)
    s = np.zeros(k)
    totals = counts.groupby("src")["n"].sum()
    for src, dst, n in counts.itertuples(index=False):  # one row per distinct transition
        if src == "(start)":
            s[index[dst]] += n
        elif dst == "(conversion)":
            r[index[src]] += n / totals[src]
        elif dst != "(null)":
            q[index[src], index[dst]] += n / totals[src]
    start = s / s.sum()
    eye = np.eye(k)
    base = float(start @ np.linalg.solve(eye - q, r))
    without = np.zeros(k)
    for i in range(k):  # one K x K solve per channel
        q_i, r_i, s_i = q.copy(), r.copy(), start.copy()
        q_i[:, i] = 0.0
        q_i[i, :] = 0.0
        r_i[i] = 0.0
        s_i[i] = 0.0
        without[i] = float(s_i @ np.linalg.solve(eye - q_i, r_i))
    effect = np.clip(1.0 - without / base, 0.0, 1.0) if base > 0 else np.zeros(k)
    return pd.DataFrame(
        {
            "channel": channels,
            "removal_effect": effect,
            "conversion_probability": base,
            "conversion_probability_without": without,
        }
    )


def removal_effect_table(paths: pd.DataFrame) -> pd.DataFrame:
    """removal_effects for every conversion type, with weights and reach."""
    frames = []
    for conversion_type, group in paths.groupby("conversion_type", sort=True):
        effects = removal_effects(group)
        if effects.empty:
            continue
        total = effects["removal_effect"].sum()
        effects["markov_weight"] = effects["removal_effect"] / total if total > 0 else 0.0
        effects["markov_conversions"] = effects["markov_weight"] * float(group["conversions"].sum())
        reach = (
            group.assign(channel=group["path"].str.split(" > "))
            .explode("channel")
            .drop_duplicates(["path", "channel"])
            .assign(journeys=lambda f: f["conversions"] + f["non_conversions"])
            .groupby("channel")["journeys"]
            .sum()
        )
        effects["journeys_with_channel"] = (
            effects["channel"].map(reach).fillna(0).astype("int64").to_numpy()
        )
        effects.insert(0, "conversion_type", conversion_type)
        frames.append(effects)
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "removal_effect_id", out["conversion_type"] + "|" + out["channel"])
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
    table = removal_effect_table(
        paths[["conversion_type", "path", "conversions", "non_conversions"]]
    )
    return table.astype(
        {
            "removal_effect": "float64",
            "conversion_probability": "float64",
            "conversion_probability_without": "float64",
            "markov_weight": "float64",
            "markov_conversions": "float64",
            "journeys_with_channel": "int64",
        }
    )
