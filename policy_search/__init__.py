"""政策超市: the domain, the store, settings and the command line."""

__version__ = "0.1.0"
