"""Scoring, data and bulletins for the 信用县 creation programme."""

__version__ = "0.1.0"
