"""The partner JSON API at ``/api/v1``: bearer tokens per organisation, problem+json errors.

Like :mod:`app.portal`, the package itself imports nothing heavy; the
blueprint lives in :mod:`app.api.views`.
"""
