"""The stages of the command line: score, report batch, bulletin, review."""
