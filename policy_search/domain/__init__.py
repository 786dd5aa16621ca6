"""The domain: the policy and its dataclasses, the store (the only place with SQL) and the
text knowledge (document kinds, cards, deadlines, validity, tags, taxonomy, matching …).
It imports nothing of the job runtime, the composition root, crawler, index or web."""
