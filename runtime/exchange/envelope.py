"""The message between centres (跨中心协同报文): kinds modelled on the national
platform's exchange of 办件 information, and the envelope every message travels in.

An envelope is plain JSON: ``{v, id, kind, from, to, sequence, case: {sender,
sender_number, receiver, receiver_number}, task, at, body}``. ``id`` is unique and
stable (a resend carries the same id: the receiver applies it once); ``sequence``
counts the messages of one case in one direction from 1, so the receiver applies
them in order whatever order they arrive in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

VERSION = 1
ACCEPTANCE, PROCESS, SUPPLEMENT, RESULT, PAYMENT, RECEIPT = (
    "acceptance", "process", "supplement", "result", "payment", "receipt")
KIND_LABELS: Mapping[str, str] = {
    ACCEPTANCE: "受理", PROCESS: "过程", SUPPLEMENT: "补正", RESULT: "结果",
    PAYMENT: "缴费", RECEIPT: "回执"}
"""Every message kind with its Chinese name (the national platform's words)."""
PROCESS_ACTIONS = frozenset({"claim", "unclaim", "transfer", "preliminary", "suspend",
                             "resume", "cancel"})
RESULT_ACTIONS = frozenset({"approve", "reject"})
REQUIRED = ("v", "id", "kind", "from", "to", "sequence", "case", "at", "body")


class BadEnvelope(ValueError):
    """A message that is not a well-formed envelope (the reason says what is wrong)."""


def envelope(*, message_id: str, kind: str, sender: str, receiver: str, sequence: int,
             case: Mapping[str, Any], task: str, at: str,
             body: Mapping[str, Any]) -> dict[str, Any]:
    """A new envelope."""
    if kind not in KIND_LABELS:
        raise ValueError(f"unknown message kind {kind!r}")
    return {"v": VERSION, "id": message_id, "kind": kind, "from": sender, "to": receiver,
            "sequence": sequence, "case": dict(case), "task": task, "at": at,
            "body": dict(body)}


def check(message: Any, *, receiver: str, sender: str) -> dict[str, Any]:
    """The envelope, after checking its shape and that it is meant for us from ``sender``."""
    if not isinstance(message, dict):
        raise BadEnvelope("the message is not a JSON object")
    missing = [k for k in REQUIRED if k not in message]
    if missing:
        raise BadEnvelope(f"missing {', '.join(missing)}")
    if message["v"] != VERSION:
        raise BadEnvelope(f"unknown envelope version {message['v']!r}")
    if message["kind"] not in KIND_LABELS or message["kind"] == RECEIPT:
        raise BadEnvelope(f"unknown message kind {message['kind']!r}")
    if message["from"] != sender or message["to"] != receiver:
        raise BadEnvelope("the message is not from the signing centre to this one")
    if not isinstance(message["id"], str) or not message["id"] or len(message["id"]) > 200:
        raise BadEnvelope("bad message id")
    if not isinstance(message["sequence"], int) or message["sequence"] < 1:
        raise BadEnvelope("sequence must be a whole number from 1")
    if not isinstance(message["case"], dict) or not isinstance(message["body"], dict):
        raise BadEnvelope("case and body must be objects")
    if not isinstance(message["case"].get("sender"), str):
        raise BadEnvelope("case.sender missing")
    return message


def receipt(message: Mapping[str, Any], status: str, at: str,
            number: str = "") -> dict[str, Any]:
    """The receipt (回执) answering a message: ``applied``, ``duplicate`` or ``buffered``
    (arrived before an earlier message of its case: kept, applied in sequence)."""
    return {"v": VERSION, "kind": RECEIPT, "id": f"{message['id']}.receipt",
            "message": message["id"], "from": message["to"], "to": message["from"],
            "status": status, "number": number, "at": at}
