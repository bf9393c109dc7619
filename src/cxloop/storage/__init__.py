"""Engine, sessions, unit of work, declarative base and shared column types."""
