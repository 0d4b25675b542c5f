-- onewindow PostgreSQL store, schema version 2: what the administrator keeps
-- (published matter versions, one draft per matter, the append-only audit), so
-- every process serves the same published versions.

CREATE TABLE admin_versions (
    matter  text COLLATE "C" NOT NULL,
    version integer NOT NULL,
    doc     jsonb NOT NULL,
    PRIMARY KEY (matter, version)
);

CREATE TABLE admin_drafts (
    matter text COLLATE "C" PRIMARY KEY,
    doc    jsonb NOT NULL
);

CREATE TABLE admin_audit (
    seq     bigserial PRIMARY KEY,           -- append order: newest is highest
    subject text COLLATE "C",
    doc     jsonb NOT NULL
);
CREATE INDEX admin_audit_by_subject ON admin_audit (subject, seq DESC);
