-- Search terms of users: one row per distinct folded username, email, given
-- name and surname of each user. A word of a search is a range over the
-- primary key, read from the index alone, so the store can count how many
-- users a word could match before choosing how to run the search. The store
-- writes the rows with the user; existing users are backfilled here.

CREATE TABLE user_terms (
	term    TEXT COLLATE "C" NOT NULL,
	user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	PRIMARY KEY (term, user_id)
);
CREATE INDEX ix_user_terms_user ON user_terms (user_id);

INSERT INTO user_terms (term, user_id)
	SELECT username_fold, id FROM users
	UNION SELECT email_fold, id FROM users
	UNION SELECT given_name_fold, id FROM users WHERE given_name_fold <> ''
	UNION SELECT surname_fold, id FROM users WHERE surname_fold <> ''
	ON CONFLICT DO NOTHING;
