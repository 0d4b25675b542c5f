-- onewindow PostgreSQL store, schema version 1: cases, their tasks, users, tokens,
-- uploaded files and their contents, per-user settings, counters.
--
-- Text that lists sort on is COLLATE "C": byte order of UTF-8 is code point order,
-- the order the embedded store sorts in, whatever the database's default collation.

CREATE TABLE cases (
    id             text COLLATE "C" PRIMARY KEY,
    rev            integer NOT NULL,
    status         text COLLATE "C" NOT NULL,
    applicant      text COLLATE "C",
    number         text COLLATE "C" UNIQUE,
    matter         text COLLATE "C",
    matter_version integer,
    updated_at     text COLLATE "C" NOT NULL,
    summary        jsonb NOT NULL,   -- what each worklist row carries (SUMMARY_FIELDS)
    doc            jsonb NOT NULL    -- the whole case, tasks and events included
);
CREATE INDEX cases_by_update ON cases (updated_at DESC, id DESC);
CREATE INDEX cases_by_status ON cases (status, updated_at DESC, id DESC);
CREATE INDEX cases_by_applicant ON cases (applicant, updated_at DESC, id DESC);
CREATE INDEX cases_by_matter ON cases (matter, matter_version, updated_at DESC, id DESC);

-- Every task of every case, rewritten with its case. ``open``: the case is not
-- finished (the worklists); ``decided_at``: the task is decided (list_decided).
CREATE TABLE tasks (
    case_id    text COLLATE "C" NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    position   integer NOT NULL,
    task_id    text COLLATE "C" NOT NULL,
    department text COLLATE "C" NOT NULL,
    status     text COLLATE "C" NOT NULL,
    due        text COLLATE "C",
    ready_at   text COLLATE "C",
    open       boolean NOT NULL,
    decided_at text COLLATE "C",
    task       jsonb NOT NULL,
    PRIMARY KEY (case_id, position)
);
CREATE INDEX tasks_worklist ON tasks
    (department, status, due NULLS LAST, ready_at NULLS LAST, case_id, task_id) WHERE open;
CREATE INDEX tasks_worklist_any_status ON tasks
    (department, due NULLS LAST, ready_at NULLS LAST, case_id, task_id) WHERE open;
CREATE INDEX tasks_decided ON tasks
    (department, decided_at DESC, case_id DESC, position DESC) WHERE decided_at IS NOT NULL;

CREATE TABLE users (
    id   text COLLATE "C" PRIMARY KEY,
    name text COLLATE "C" NOT NULL UNIQUE,
    doc  jsonb NOT NULL
);

CREATE TABLE tokens (
    token_hash text COLLATE "C" PRIMARY KEY,
    user_id    text COLLATE "C" NOT NULL
);

CREATE TABLE files (
    id  text COLLATE "C" PRIMARY KEY,
    doc jsonb NOT NULL
);

-- Uploaded contents by SHA-256, written once: no directory is shared between machines.
CREATE TABLE blobs (
    sha256 text COLLATE "C" PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    data   bytea NOT NULL
);

CREATE TABLE settings (
    user_id text COLLATE "C" NOT NULL,
    key     text COLLATE "C" NOT NULL,
    value   jsonb NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- Gap-free counters (case numbers per day): the row lock of an increment is held to
-- the end of its transaction, so a rolled-back acceptance consumes no number.
CREATE TABLE sequences (
    key   text COLLATE "C" PRIMARY KEY,
    value bigint NOT NULL
);
