"""The catalogue: districts of Chongqing, their minimum wages, and the skills an order may ask for
(loaded from data/ at start-up).
"""
