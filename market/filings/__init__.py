"""The filings a pilot district expects: monthly IIT withholding data and the 职业伤害保障 report (docs/filings.md)."""
