"""Invoice requests (全电发票 / 数电票) for each statement month (docs/invoices.md)."""
