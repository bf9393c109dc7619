"""The maturity self-assessment: listen, understand and act scored 1-5 from how the workspace is used
(docs/analytics.md "Maturity")."""
