"""The demo organisation: a believable company with a year of feedback, built deterministically."""
