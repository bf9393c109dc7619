"""Developer-only tools (not part of the `cxloop` command)."""
