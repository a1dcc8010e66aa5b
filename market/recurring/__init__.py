"""Order templates and recurring orders (docs/recurring-orders.md)."""
