"""Accounts: sign-up, sign-in and tokens for employers, workers, supervisors and admins; organisations
and the caller's identity.
"""
