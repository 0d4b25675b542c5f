"""Statistics (统计分析) per department or matter over a period."""

from __future__ import annotations

from typing import Any

from runtime.web.api.operation import Call, Operation, Param
from runtime.web.api.schemas import list_of, maybe, obj, text

DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
BY = Param("by", "department (default) or matter", choices=("department", "matter"))
FROM = Param("from", "first date of the period (default: the first of this month)",
             pattern=DATE)
TO = Param("to", "last date of the period, included (default: today)", pattern=DATE)
NUMBER = maybe("number")
ROW = obj(("key", "name"), closed=False, key=text("department or matter id"), name=text(),
          tasks_done={"type": "integer"}, on_time={"type": "integer"},
          overdue={"type": "integer"}, on_time_rate=NUMBER, avg_days=NUMBER,
          p90_days=NUMBER, promised_days=NUMBER, rejected={"type": "integer"},
          suspended={"type": "integer"}, cases_accepted={"type": "integer"},
          cases_finished={"type": "integer"}, serial_days=NUMBER, saved_days=NUMBER,
          supplements={"type": "integer"}, refused={"type": "integer"},
          overdue_now={"type": "integer"})


def statistics(call: Call) -> Any:
    """One row per department or matter; a department sees only its own row."""
    by = (call.query["by"] or ["department"])[-1]
    table = call.services.stats.table(call.user, by, call.query["from"], call.query["to"])
    return table.rows


operations: list[Operation] = [
    Operation("GET", "/stats", statistics, "Statistics per department or matter",
              "supervisor, admin; a department (its own row)", list_of(ROW), "accountability",
              query=(BY, FROM, TO), errors=(400, 401, 403),
              description="Days are working days; computed from the event history."),
]
