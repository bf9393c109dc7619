"""Infrastructure with no domain words: settings, errors, clock, hashing."""
