"""Analyses on scored tables: months side by side, unit profiles, sensitivity, annual acceptance."""
