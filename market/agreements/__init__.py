"""Shared employment's consents and three-party agreements: an employee named in a lender's bid
agrees to be lent (or refuses), and the agreement of the borrower, the lender and the employee."""
