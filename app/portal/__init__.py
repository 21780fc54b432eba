"""The retailer portal: partners register providers, watch their health and read results.

Kept light on purpose: ``app.models`` imports :mod:`app.portal.models` for its
tables, so this package must not import Flask views at import time. The
blueprints live in their own modules and are registered by ``create_app``.
"""
