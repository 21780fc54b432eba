"""From a source to stored cards, on the worker's refresh path: how a kind reaches its
source (:mod:`.sources`), one provider's refresh and health (:mod:`.refresh`), storing
what it produced (:mod:`.store`), and pruning what is old (:mod:`.retention`).
"""
