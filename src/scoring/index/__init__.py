"""The index as data: the tree and units (spec), the catalogue of scoring methods, alternative weights."""
