"""The partner JSON API at ``/api/v1``: bearer tokens per organisation, problem+json errors.

JSON only: what a call does is in :mod:`app.partners`, shared with the portal and the
command line; the blueprint lives in :mod:`app.api.views`.
"""
