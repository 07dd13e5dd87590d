"""Ingest: one multi-asset per source writing ``raw.<source>__<entity>``; the new-file sensor."""
