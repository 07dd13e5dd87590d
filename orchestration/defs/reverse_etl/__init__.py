"""Reverse ETL: one asset per sync, fed by its dbt payload model."""
