"""Certificates a worker uploads and an operator or the employer's reviewer verifies; only verified, unexpired ones count (docs/certificates.md)."""
