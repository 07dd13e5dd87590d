"""The RevOps dashboard: one shared page for the weekly review (``revloop dashboard``).

A Streamlit app that reads only the last *published* snapshot (read-only), never the working
warehouse: it never holds the nightly writer's lock and never shows a build that failed its
gate. ``queries.py`` holds every SQL the pages run (pushed down to DuckDB, cached per
published build); ``views/`` holds one module per page; definitions come from the dbt docs
text the publish step copies into ``_release.definitions``.
"""
