"""revloop reverse ETL: marts → CRM custom fields (sync YAML, engine, destinations, sandbox)."""
