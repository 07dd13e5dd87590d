"""Sample generator: one simulated B2B world rendered as every source's vendor extracts."""

from connectors.generate.build import generate

__all__ = ["generate"]
