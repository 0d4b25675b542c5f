-- onewindow PostgreSQL store, schema version 4: notifications (站内通知, written in
-- the same transaction as the case change that causes them) and the job queue the
-- workers claim with FOR UPDATE SKIP LOCKED.

CREATE TABLE notices (
    id        text COLLATE "C" PRIMARY KEY,
    recipient text COLLATE "C" NOT NULL,
    at        text COLLATE "C" NOT NULL,
    read      boolean NOT NULL,
    doc       jsonb NOT NULL
);
CREATE INDEX notices_by_recipient ON notices (recipient, at DESC, id DESC);
CREATE INDEX notices_unread ON notices (recipient) WHERE NOT read;

CREATE TABLE jobs (
    id          text COLLATE "C" PRIMARY KEY,
    status      text COLLATE "C" NOT NULL,
    run_at      text COLLATE "C" NOT NULL,
    lease_until text COLLATE "C",
    doc         jsonb NOT NULL
);
CREATE INDEX jobs_due ON jobs (status, run_at, id);
