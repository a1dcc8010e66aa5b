"""Orders: gig and shared-employment orders and their shifts, the posting rules (rules.py), the
lifecycle (lifecycle.py) and the progress sweep.
"""
