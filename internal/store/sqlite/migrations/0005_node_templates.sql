-- Node templates: the addon templates a kind of node gets (node.template inputs).
CREATE TABLE node_templates (
	id      TEXT    NOT NULL PRIMARY KEY,
	version INTEGER NOT NULL,
	data    TEXT    NOT NULL
);
