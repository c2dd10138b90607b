"""Build tools of this repository (never shipped): ``python -m tools.package``."""
