"""governance domain."""
