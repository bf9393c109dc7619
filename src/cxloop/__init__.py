"""cxloop: a self-hostable Voice-of-the-Customer platform."""

__version__ = "0.1.0"
