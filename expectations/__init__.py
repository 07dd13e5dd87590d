"""Great Expectations suites on raw and marts tables: revloop's release gate.

``run_suites(warehouse)`` validates the warehouse read-only and returns one ``SuiteResult``
per suite; the Dagster quality checks and ``revloop run`` turn failures into a stopped build.
"""

from expectations.runner import FailedExpectation, SuiteResult, default_suite_names, run_suites
from expectations.suites import SUITES, suite_for

__all__ = [
    "SUITES",
    "FailedExpectation",
    "SuiteResult",
    "default_suite_names",
    "run_suites",
    "suite_for",
]
