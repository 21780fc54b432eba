"""The consumer's pages: the feed, card actions, "Why?", interests, and the card views
they all render (:mod:`.display`).
"""
