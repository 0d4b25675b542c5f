-- onewindow PostgreSQL store, schema version 3: sign-in sessions and rate-limit
-- counters live in the database (whichever process answers knows them), and API
-- tokens keep small facts (created, last used) in a JSONB record.

ALTER TABLE tokens ADD COLUMN doc jsonb;
UPDATE tokens SET doc = jsonb_build_object('token_hash', token_hash, 'user', user_id);
ALTER TABLE tokens ALTER COLUMN doc SET NOT NULL;
CREATE INDEX tokens_by_user ON tokens (user_id);

CREATE TABLE sessions (
    id      text COLLATE "C" PRIMARY KEY,
    user_id text COLLATE "C" NOT NULL,
    doc     jsonb NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE limits (
    key text COLLATE "C" PRIMARY KEY,
    doc jsonb NOT NULL
);
