"""HTML views, one small module per role."""
