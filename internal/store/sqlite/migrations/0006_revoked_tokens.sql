-- Login tokens revoked before they expire (logout), kept until they would have expired.
CREATE TABLE revoked_tokens (
	id          TEXT    NOT NULL PRIMARY KEY,
	expire_unix INTEGER NOT NULL
);
CREATE INDEX revoked_tokens_expire ON revoked_tokens (expire_unix);
