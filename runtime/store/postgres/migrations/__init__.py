"""The schema steps of the PostgreSQL store, one SQL file per version."""
