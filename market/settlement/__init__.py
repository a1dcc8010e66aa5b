"""Settlement: escrow, the double-entry ledger, settling approved timesheets by the rules of each
relationship type (rules.py, tax.py), statements, payouts and arrears.
"""
