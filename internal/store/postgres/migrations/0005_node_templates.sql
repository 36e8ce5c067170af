-- Node templates: the addon templates a kind of node gets (node.template inputs).
CREATE TABLE node_templates (
	id      TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	version BIGINT NOT NULL,
	data    TEXT   NOT NULL
);
