"""The offline demo: ``plaza demo`` (:mod:`.load`), its crowd of made-up shoppers
(:mod:`.activity`), and the sample files it replays (``data/``).
"""
