-- Leases: which server runs the control loops. expires is unix nanoseconds by the
-- database's clock.
CREATE TABLE leases (
	name    TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	holder  TEXT COLLATE "C" NOT NULL,
	expires BIGINT NOT NULL
);
