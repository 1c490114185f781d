"""Pure business rules of GX Coin: no I/O, no framework imports, integer Qirat only.

The embedded chaincode and the backend's preview endpoints call the same functions here, so a
preview can never disagree with what the chain charges. Modules: `accounts` (account ids, pools,
supply), `parameters` (the parameter catalogue), `fees` (transfer fee schedule), `velocity_tax`,
`genesis` (phases and quotas), `loans`, `governance`, `multisig`, `trust`, and `errors`
(RuleViolation and its stable codes, shared with the chaincode's rejections).
"""
