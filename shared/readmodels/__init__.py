"""Read models: the tables the projectors maintain from chain events, and the query functions
the HTTP read endpoints call (JSON-ready dicts; no HTTP here). One module per area:
`accounts` (balances, history), `organizations` (orgs, multisig), `loans`, `governance`
(proposals, votes), `system` (users on chain, status, parameters, treasuries, countries,
genesis, relationships); `guarded` is the position-guarded upsert they share."""
