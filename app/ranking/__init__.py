"""Which cards a shopper sees, in what order: candidates read from the database
(:mod:`.candidates`), scored (:mod:`.rank`, on :mod:`.pool`'s columns) and laid out
(:mod:`.compose`), with what behaviour taught (:mod:`.affinity`) and how popular cards
are (:mod:`.popularity`, counted ahead by :mod:`.rollup`).
"""
