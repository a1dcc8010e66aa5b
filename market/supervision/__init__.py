"""Read-only, district-scoped supervision for pilot-district supervisors (docs/supervision.md):
the overview, alerts, order drill-down, CSV export, the live district streams and the dashboard."""
