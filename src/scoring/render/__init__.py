"""Display objects and their HTML and PDF renderings; fonts."""
