"""The reports as display objects, read from the stage tables of a month."""
