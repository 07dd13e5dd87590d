"""What good data means for revloop beyond its contracts, and the gate that enforces it.

* ``suites`` — Great Expectations suites (distributions, cross-field rules, mart invariants);
  ``runner.run_suite`` validates one in the warehouse's persistent GX context (Data Docs).
* ``monitors`` — anomaly monitors from YAML (volume, drop to zero, spikes, missing rates,
  sign/scale of totals, spend without clicks) next to the contracts.
* ``freshness`` — how old each source's last delivery is against its contract.
* ``release`` — key figures of a build and their diff against the last published build.

Everything here reads the warehouse read-only and returns results; the Dagster checks in
``orchestration/defs/quality`` turn them into blocking checks, alerts and the publish step.
"""

from expectations.runner import FailedExpectation, SuiteResult, run_suite, run_suites
from expectations.suites import SUITES, all_suite_names, suite_for

__all__ = [
    "SUITES",
    "FailedExpectation",
    "SuiteResult",
    "all_suite_names",
    "run_suite",
    "run_suites",
    "suite_for",
]
