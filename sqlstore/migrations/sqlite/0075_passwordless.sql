-- Passwordless sign-in by email (issue 16). WebAuthn credentials are factors
-- of kind webauthn (migration 0070).
--
-- Magic links are one-time tokens bound to the browser that asked: the
-- browser keeps a random nonce in a cookie, the token keeps its SHA-256
-- (browser_hash). The six-digit code of the same email is kept as the SHA-256
-- of the nonce and the code (code_hash), so a stolen table gives no code, and
-- attempts counts the codes tried against the token.
ALTER TABLE tokens ADD COLUMN browser_hash BLOB;
ALTER TABLE tokens ADD COLUMN code_hash BLOB;
ALTER TABLE tokens ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX ix_tokens_browser ON tokens (browser_hash);
