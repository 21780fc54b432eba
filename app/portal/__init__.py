"""The retailer portal: partners' pages only (register providers, watch their health, read
results, manage members and tokens). What the pages do is in :mod:`app.partners`, which
the API and the command line share; the blueprints live in the ``*_views`` modules and
are registered by ``create_app``.
"""
