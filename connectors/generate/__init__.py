"""Sample generator: one simulated B2B world rendered as every source's vendor extracts."""

from connectors.generate.build import generate, yesterday_utc
from connectors.generate.world import REFERENCE_END_DATE

__all__ = ["REFERENCE_END_DATE", "generate", "yesterday_utc"]
