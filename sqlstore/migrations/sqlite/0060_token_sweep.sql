-- Every node sweeps used and expired one-time tokens (DeleteExpiredTokens):
-- an index keeps each sweep from reading the whole table. Adding an index is
-- an expand step: nodes of the previous release keep working beside it.
CREATE INDEX ix_tokens_expires ON tokens (expires_at);
