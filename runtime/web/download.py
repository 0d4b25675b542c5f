"""Headers for a file the browser saves rather than renders here."""

from __future__ import annotations

from urllib.parse import quote


def attachment(name: str) -> dict[str, str]:
    """Save as ``name`` (UTF-8 file names), never sniffed, never cached by a shared cache."""
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}
