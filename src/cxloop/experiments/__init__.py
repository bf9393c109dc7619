"""A/B tests of CX changes: experiments, stable variant assignment, results, sample-size plans (docs/experiments.md)."""
