"""Metric values → points → totals, ranks and 达标; the one display rounding."""
