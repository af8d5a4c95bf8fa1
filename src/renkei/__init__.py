"""renkei (連携): a platform for regional industry-support networks (産学官金連携)."""

__version__ = "0.1.0"
