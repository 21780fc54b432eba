"""Searching cards: the full-text index (index), what a shopper typed made safe
(query), what else a word may be (spelling), and a page of results (results)."""
