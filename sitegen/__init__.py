"""sitegen: turn paper-listing dumps into a static reading-list website."""

__version__ = "0.1.0"
