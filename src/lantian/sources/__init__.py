"""The source registry: what pollutes (enterprises, sites, yards, roads, catering) and the devices on it.

Stored in the ledger's SQL database (``lantian.plan.database``). See ``devices`` for the view of a
device that the live feeds (``lantian.feeds``) use.
"""
