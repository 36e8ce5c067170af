-- SSH public keys users register to reach their dev machines, and the SSH server's
-- host key (sealed), which every server of the database presents.
CREATE TABLE public_keys (
	id      TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	version BIGINT  NOT NULL,
	data    TEXT    NOT NULL,
	user_id TEXT COLLATE "C" NOT NULL
);
CREATE INDEX public_keys_user ON public_keys (user_id);
CREATE TABLE host_keys (
	id   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	data TEXT    NOT NULL
);
