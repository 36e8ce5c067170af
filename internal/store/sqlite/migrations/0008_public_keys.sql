-- SSH public keys users register to reach their dev machines, and the SSH server's
-- host key (sealed), which every server of the database presents.
CREATE TABLE public_keys (
	id      TEXT    NOT NULL PRIMARY KEY,
	version INTEGER NOT NULL,
	data    TEXT    NOT NULL,
	user_id TEXT    NOT NULL
);
CREATE INDEX public_keys_user ON public_keys (user_id);
CREATE TABLE host_keys (
	id   TEXT    NOT NULL PRIMARY KEY,
	data TEXT    NOT NULL
);
