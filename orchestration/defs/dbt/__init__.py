"""dbt: every model and seed as an asset, dbt tests as asset checks."""
