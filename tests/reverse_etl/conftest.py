"""The reverse-ETL tests share the suite's `sandbox` fixture (tests/conftest.py)."""
