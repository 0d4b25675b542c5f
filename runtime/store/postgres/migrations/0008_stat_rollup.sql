-- onewindow PostgreSQL store, schema version 8 (issue 15): a daily roll-up of the
-- statistics projection, so a year's statistics read a few thousand rows instead of
-- every task decided in it (about 10 M at 1,000,000 cases a year).
--
-- stat_days: per kind, China-time day and key (department or matter), the count of
-- stat_facts rows and, for decisions, the sums the figures are made of (numeric, so
-- adding and taking away a case's rows leaves no rounding residue).
-- stat_histogram: per decision kind, key and day ('d') or month ('m', its first day),
-- how many decisions took each number of working days as shown (days2): the 90th
-- percentile of a period is read from whole months plus the days at its edges.
-- Both are kept by the batch that rewrites a case's stat_facts rows (the difference,
-- applied at commit in key order: see runtime/store/postgres/stat_rollup.py) and
-- made again from stat_facts whenever the projection is rebuilt. Rows counted
-- against "now" (task_running, case_running) are not rolled up.

CREATE TABLE stat_days (
    kind         text COLLATE "C" NOT NULL,
    day          date NOT NULL,
    key          text COLLATE "C" NOT NULL,
    n            bigint NOT NULL,
    on_time      bigint NOT NULL,
    rejected     bigint NOT NULL,
    days_sum     numeric NOT NULL,
    days_n       bigint NOT NULL,
    promised_sum numeric NOT NULL,
    serial_sum   numeric NOT NULL,
    serial_n     bigint NOT NULL,
    saved_sum    numeric NOT NULL,
    saved_n      bigint NOT NULL,
    PRIMARY KEY (kind, day, key)
);

CREATE TABLE stat_histogram (
    kind  text COLLATE "C" NOT NULL,
    grain "char" NOT NULL CHECK (grain IN ('d', 'm')),
    day   date NOT NULL,
    key   text COLLATE "C" NOT NULL,
    days2 double precision NOT NULL,
    n     bigint NOT NULL,
    PRIMARY KEY (kind, grain, day, key, days2)
);

-- The rows already projected (the same statements as stat_rollup.FILL).
INSERT INTO stat_days
SELECT kind, ((at AT TIME ZONE 'UTC') + interval '8 hours')::date, key, count(*),
       count(*) FILTER (WHERE on_time), count(*) FILTER (WHERE rejected),
       coalesce(sum(days::text::numeric), 0), count(days),
       coalesce(sum(coalesce(promised, 0)::text::numeric), 0),
       coalesce(sum(serial::text::numeric), 0), count(serial),
       coalesce(sum((serial - days)::text::numeric), 0), count(serial - days)
FROM stat_facts WHERE kind NOT IN ('task_running', 'case_running')
GROUP BY 1, 2, 3;

INSERT INTO stat_histogram
SELECT kind, 'd', ((at AT TIME ZONE 'UTC') + interval '8 hours')::date, key, days2, count(*)
FROM stat_facts WHERE kind IN ('task_done', 'case_done') AND days2 IS NOT NULL
GROUP BY 1, 2, 3, 4, 5;

INSERT INTO stat_histogram
SELECT kind, 'm', day - (extract(day FROM day)::int - 1), key, days2, sum(n)
FROM stat_histogram WHERE grain = 'd'
GROUP BY 1, 2, 3, 4, 5;
