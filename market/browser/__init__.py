"""The browser's code and assets, in one place: pages, scripts, styles and icons that the service
serves under /static/ (market/web/ops.py) and the pages it renders (the supervisor dashboard, the
API's docs page). Data only: no Python here imports the web stack, and nothing here is a feature."""
