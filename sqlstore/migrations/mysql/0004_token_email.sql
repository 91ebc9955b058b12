-- The new address an email-change token confirms; '' for the other kinds.
ALTER TABLE tokens ADD COLUMN email VARCHAR(254) NOT NULL DEFAULT '';
