"""Actas: turn election tally sheets into results that anyone can check."""

__version__ = "0.1.0"
