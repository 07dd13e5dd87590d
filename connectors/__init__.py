"""revloop."""
