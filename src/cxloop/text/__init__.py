"""text domain."""
