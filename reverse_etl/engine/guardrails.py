"""Guardrails: refuse to push a plan that looks like a broken build rather than real change.

A bad model run (empty join, unit mix-up) can rewrite every record in the CRM overnight.
These checks run before anything is sent (and the reject share while sending) and fail the
sync with a message naming the sync, the numbers and the YAML knob to change.
"""

from __future__ import annotations

from reverse_etl.destinations.base import BatchResult
from reverse_etl.engine.config import Guardrails
from reverse_etl.engine.planner import Plan


class GuardrailViolation(RuntimeError):
    """A guardrail stopped the sync; nothing (more) was sent."""


def check_plan(plan: Plan, skip_change_share: bool = False) -> None:
    """Raise GuardrailViolation when the plan breaks a limit of its sync.

    `skip_change_share`: a full resync re-sends every row on purpose (a planned mapping
    change), so the share of changed records says nothing about a broken build."""
    sync = plan.sync
    rails = sync.guardrails
    if plan.source_rows == 0 and not rails.allow_empty:
        raise GuardrailViolation(
            f"sync {sync.name}: source {sync.source} is empty; refusing to sync an empty "
            "payload (usually a failed build). Set guardrails.allow_empty: true if intended"
        )
    if plan.clears > rails.max_clears:
        raise GuardrailViolation(
            f"sync {sync.name}: plan clears {plan.clears} {sync.object} records, above "
            f"guardrails.max_clears = {rails.max_clears}; check {sync.source} lost rows "
            "on purpose, then raise the limit"
        )
    if plan.state_rows and not skip_change_share:
        changed = plan.updates_of_synced + plan.clears + plan.retires
        share = changed / plan.state_rows
        if share > rails.max_change_share:
            raise GuardrailViolation(
                f"sync {sync.name}: plan changes {changed} of the {plan.state_rows} {sync.object} "
                f"records revloop maintains ({share:.0%}), above guardrails.max_change_share = "
                f"{rails.max_change_share:.0%}; inspect with a dry run, then raise the limit"
            )


class RejectMonitor:
    """Tracks the destination's reject share while batches come back; aborts above the limit."""

    def __init__(self, sync_name: str, rails: Guardrails) -> None:
        self.sync_name = sync_name
        self.rails = rails
        self.sent = 0
        self.rejected = 0

    def observe(self, batch: BatchResult, retried_keys: frozenset[str] = frozenset()) -> None:
        """Count this batch's verdicts. Retries of dead letters are left out: a record the CRM
        already refused is expected to fail again until someone fixes it, and must not trip
        the guardrail meant for a new, systematic failure."""
        fresh = [r for r in batch.results if r.key not in retried_keys and r.duplicate_of is None]
        self.sent += len(fresh)
        self.rejected += sum(1 for r in fresh if not r.success)
        if self.sent < self.rails.min_sent_for_reject_share:
            return
        share = self.rejected / self.sent
        if share > self.rails.max_reject_share:
            raise GuardrailViolation(
                f"sync {self.sync_name}: destination rejected {self.rejected} of {self.sent} "
                f"records sent so far ({share:.0%}), above guardrails.max_reject_share = "
                f"{self.rails.max_reject_share:.0%}; remaining batches aborted. See "
                "reverse_etl._sync_dead_letter for the vendor errors"
            )
