-- Leases: which server runs the control loops. expires is unix nanoseconds.
CREATE TABLE leases (
	name    TEXT    NOT NULL PRIMARY KEY,
	holder  TEXT    NOT NULL,
	expires INTEGER NOT NULL
);
