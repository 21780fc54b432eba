"""Accounts: sign-up and login (:mod:`.views`), creating accounts for every caller
(:mod:`.users`), and password hashing (:mod:`.passwords`).
"""
