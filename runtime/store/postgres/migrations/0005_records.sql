-- onewindow PostgreSQL store, schema version 5 (issue 15): records of the centre that
-- belong to no single case (complaints, …), keyed by kind and id.

CREATE TABLE records (
    kind text COLLATE "C" NOT NULL,
    id   text COLLATE "C" NOT NULL,
    doc  jsonb NOT NULL,
    PRIMARY KEY (kind, id)
);
