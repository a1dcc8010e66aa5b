"""Bids: a worker's on shifts of a gig order, a lender's with named employees on a shared order."""
