-- onewindow PostgreSQL store, schema version 7 (issue 15): the statistics projection.
-- A few rows per case (runtime/engine/stat_facts.py): each task's release, suspension,
-- decision and running due time, each case's acceptance, supplements, refusal and
-- decision, with the working days they took. Rewritten with the case by the same
-- transaction, from its event history, so nothing drifts; the statistics of a period
-- are one index range scan per kind, aggregated in SQL.
--
-- Working days depend on the work calendar, which only the application knows: the
-- rows are filled by the application (at start, or `onewindow store stats-rebuild`),
-- and stat_meta records for which calendar and projection version they were made.

CREATE TABLE stat_facts (
    case_id  text COLLATE "C" NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind     text COLLATE "C" NOT NULL,
    key      text COLLATE "C" NOT NULL,   -- department or matter
    at       timestamptz NOT NULL,
    days     double precision,
    days2    double precision,            -- days rounded to 2 decimals (Python's round):
                                          -- p90 from a histogram, as the figure is shown
    promised double precision,
    on_time  boolean,
    rejected boolean,
    serial   double precision
);
CREATE INDEX stat_facts_by_case ON stat_facts (case_id);
CREATE INDEX stat_facts_by_time ON stat_facts (kind, at)
    INCLUDE (key, days, days2, promised, on_time, rejected, serial);

CREATE TABLE stat_meta (
    name  text COLLATE "C" PRIMARY KEY,
    value text NOT NULL
);
