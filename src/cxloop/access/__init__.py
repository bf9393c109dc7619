"""access domain."""
