"""Notifications: the right card, on the right channel, at the right time.

New cards and account events become candidate notifications in an outbox
table (:mod:`.candidates`, :mod:`.outbox`); the worker bundles digests at each
consumer's local morning (:mod:`.digests`) and delivers the outbox in claimed
batches (:mod:`.delivery`) through three channels: the in-app centre, Web Push
(:mod:`.webpush`) and email (:mod:`.smtp`), each as the consumer chose
(:mod:`.preferences`). The pages are :mod:`.views`; the tables live in
:mod:`app.models.notifications`.
"""
