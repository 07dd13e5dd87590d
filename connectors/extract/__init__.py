"""Live extractors: vendor APIs → the same files an export would give."""
