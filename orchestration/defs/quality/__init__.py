"""Quality: Great Expectations suites as blocking asset checks on raw, marts and payloads."""
