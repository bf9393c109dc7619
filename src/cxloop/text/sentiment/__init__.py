"""Sentiment: the day-one lexicon (`lexicon`), the model learned from the organisation's scored comments
(`learned`), and which one scores comments now (`text.service`)."""
