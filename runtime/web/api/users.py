"""Users (用户管理) for administrators, and every caller's own password."""

from __future__ import annotations

from typing import Any

from runtime.services.accounts import ROLES
from runtime.web.api.operation import LIMIT, OFFSET, Call, Listing, Operation
from runtime.web.api.schemas import list_of, maybe, obj, text

USER = obj(("id", "name", "display_name", "role", "department", "email", "phone", "active"),
           closed=False, id=text(), name=text("sign-in name"), display_name=text(),
           role={"enum": list(ROLES)}, department=maybe("string", description="department id"),
           email=text(), phone=text(), active={"type": "boolean"})
CREATED = {**USER, "properties": {**USER["properties"], "password": text(
    "only when none was given: the one-time password, to change at first sign-in")}}
LONG = {"type": "string", "maxLength": 200}
NEW_USER = obj(("name", "role"), name=LONG, role={"type": "string", "maxLength": 20},
               department=maybe("string", maxLength=64), display_name=LONG, email=LONG,
               phone=LONG, password={"type": "string", "maxLength": 1024})
CHANGES = obj(role={"type": "string", "maxLength": 20}, department=maybe("string", maxLength=64),
              display_name=LONG, email=LONG, phone=LONG, active={"type": "boolean"},
              duties={"type": "array", "maxItems": 4, "description": "window staff: "
                      "[\"cashier\"] for the fee window (收费窗口)",
                      "items": {"type": "string", "maxLength": 20}},
              service_point=maybe("object", description=(
                  "agents (代办员): {name, level: village|town|county, town?}; a village "
                  "point names the town point that forwards its cases; null clears it")))
PASSWORD_CHANGE = obj(("old", "new"), old={"type": "string", "maxLength": 1024},
                      new={"type": "string", "maxLength": 1024})


def list_users(call: Call) -> Any:
    """Every user, by name."""
    found = call.services.users.list_users(call.user)
    start = call.query["offset"]
    page = found[start:start + call.query["limit"]]
    return Listing([a.to_json() for a in page], len(found))


def create_user(call: Call) -> Any:
    """Add a user; without ``password``, the answer carries a one-time one."""
    body = call.body
    account, one_time = call.services.users.create(
        call.user, body["name"], body["role"], department=body.get("department"),
        display_name=body.get("display_name", ""), email=body.get("email", ""),
        phone=body.get("phone", ""), password=body.get("password"))
    result = account.to_json()
    if one_time is not None:
        result["password"] = one_time
    return result


def update_user(call: Call) -> Any:
    """Change role, department, names, contact; ``active: false`` stops sessions and tokens."""
    return call.services.users.update(call.user, call.path("user_id"), call.body).to_json()


def change_password(call: Call) -> Any:
    """Change the caller's own password (also the one way out of a one-time password)."""
    call.services.accounts.change_password(call.user, call.body["old"], call.body["new"])
    return {"changed": True}


operations: list[Operation] = [
    Operation("GET", "/users", list_users, "List users", "admin", list_of(USER), "users",
              query=(LIMIT, OFFSET), errors=(400, 401, 403),
              headers={"X-Total-Count": {"type": "integer"}}),
    Operation("POST", "/users", create_user, "Add a user", "admin", CREATED, "users",
              status=201, body=NEW_USER, body_required=True, errors=(400, 401, 403, 409, 413)),
    Operation("PATCH", "/users/{user_id}", update_user, "Change a user", "admin", USER, "users",
              body=CHANGES, body_required=True, errors=(400, 401, 403, 404, 413)),
    Operation("POST", "/me/password", change_password, "Change my password",
              "anyone signed in", obj(("changed",), changed={"type": "boolean"}), "users",
              body=PASSWORD_CHANGE, body_required=True, errors=(400, 401, 413, 429),
              description="Other sign-in sessions of the caller end."),
]
