"""Complaints, disputes and appeals: a state machine with deadlines, evidence and an audit trail; decisions take effect through the ledger, arrears and reliability (docs/cases.md)."""
