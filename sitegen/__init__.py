"""sitegen: turn paper-listing dumps into a static reading-list website."""

__version__ = "0.2.0"
