"""What every page shares: htmx answers, templates and their filters, error pages,
safe redirects, health checks.
"""
