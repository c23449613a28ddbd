"""Reproducible dataset builder, trainer and scorer for music enhancement."""

__version__ = "0.1.0"
