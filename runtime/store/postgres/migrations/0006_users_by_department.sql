-- onewindow PostgreSQL store, schema version 6: a department's people found by an
-- index (notifications of a new task go to its officers on every such write; a
-- city's users are mostly applicants who registered online).

CREATE INDEX users_by_department ON users ((doc->>'department'), name, id)
    WHERE doc->>'department' IS NOT NULL;
