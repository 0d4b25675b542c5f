-- onewindow PostgreSQL store, schema version 7: reserved for issue 14 (notifications
-- and jobs). A placeholder so that version 8 follows without a gap on this branch;
-- replaced by issue 14's own 0007 file when both are merged (delete this one then).
SELECT 1;
