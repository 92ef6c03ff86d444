"""Reads of the support back-office, one module per page.

- queue: the pending accounts, their partners and the next account in the queue;
- dashboard: the figures above the queue (counts per reason, oldest wait, activations);
- account: the account page (the account, its history, notes and company suggestions).

Every function runs a fixed number of queries whatever the size of the tables, each bounded by
an index or a LIMIT (docs/support-queue.md lists them with their plans).
"""
