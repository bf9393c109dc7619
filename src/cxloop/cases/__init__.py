"""cases domain."""
