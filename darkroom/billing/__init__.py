"""Credits and payments: the credit ledger, credit packs, Pro subscriptions, gateways.

Other apps call the service functions in ``darkroom.billing.ledger`` (``debit``,
``credit``, ``refund``, ``balance``, ``statement``) and ``darkroom.billing.plans``
(prices and tiers), never the models.
"""
