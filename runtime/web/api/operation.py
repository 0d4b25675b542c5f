"""One API operation, declared once: its route, the shape of its input and its OpenAPI entry.

The route layer checks only shapes (JSON, types, required keys, query numbers); every
rule about who may do what, and when, stays in the services and the engine.
"""

from __future__ import annotations

import inspect
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runtime.forms.text import MAX_DEPTH, text_errors
from runtime.services import Services
from runtime.services.accounts import User
from runtime.services.errors import Invalid, NotAuthenticated, TooLarge

Schema = dict[str, Any]
Detail = dict[str, str]
MAX_JSON_BYTES = 1024 * 1024
MAX_JSON_DEPTH = MAX_DEPTH  # objects and lists in a body; form data needs about 4
TYPE_NAMES = {"object": "对象", "array": "数组", "string": "字符串", "integer": "整数",
              "number": "数字", "boolean": "布尔值", "null": "null"}
DIGITS = re.compile(r"[0-9]{1,12}")
NO_TOKEN = "缺少有效的 API 令牌（Authorization: Bearer TOKEN）"


@dataclass(frozen=True)
class Param:
    """A query parameter: an integer within bounds, or a list of allowed words."""

    name: str
    description: str
    minimum: int = 0
    maximum: int = 0
    default: int | None = None
    choices: tuple[str, ...] = ()
    pattern: str = ""  # a text parameter (e.g. a date), checked by the service

    @property
    def schema(self) -> Schema:
        """The parameter's JSON Schema."""
        if self.pattern:
            return {"type": "string", "pattern": self.pattern}
        if self.choices:
            return {"type": "array", "items": {"type": "string", "enum": list(self.choices)}}
        schema: Schema = {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}
        if self.default is not None:
            schema["default"] = self.default
        return schema

    def read(self, values: list[str]) -> Any:
        """The parsed value (the default when absent); Invalid with a pointer otherwise."""
        pointer = f"/{self.name}"
        if self.pattern:
            text = values[-1].strip() if values else ""
            if text and not re.fullmatch(self.pattern.strip("^$"), text):
                raise Invalid("查询参数有误", [{"pointer": pointer, "message":
                                           f"{self.description}格式有误"}])
            return text or None
        if self.choices:
            # An empty value (``?status=``) is a mistake, not "no filter": say so.
            words = [w.strip() for v in values for w in v.split(",")]
            if any(w not in self.choices for w in words):
                raise Invalid("查询参数有误", [{"pointer": pointer, "message":
                                           f"须为 {', '.join(self.choices)} 之一"
                                           + ("，不能为空" if "" in words else "")}])
            return words or None
        if not values:
            return self.default
        text = values[-1].strip()
        if not DIGITS.fullmatch(text) or not self.minimum <= int(text) <= self.maximum:
            raise Invalid("查询参数有误", [{"pointer": pointer, "message":
                                       f"须为 {self.minimum}–{self.maximum} 的整数"}])
        return int(text)


@dataclass(frozen=True)
class Listing:
    """A page of a list; the total without the limit goes in ``X-Total-Count``."""

    items: list[Any]
    total: int


class Call:
    """What a handler gets: the request, the caller, the services, the checked input."""

    def __init__(self, request: Request, user: User | None, body: dict[str, Any],
                 query: dict[str, Any]) -> None:
        self.request = request
        self._user = user
        self.body = body
        self.query = query

    @property
    def user(self) -> User:
        """The signed-in caller."""
        if self._user is None:
            raise NotAuthenticated(NO_TOKEN)
        return self._user

    @property
    def services(self) -> Services:
        """The app's services."""
        services: Services = self.request.app.state.services
        return services

    def path(self, name: str) -> str:
        """A path parameter."""
        return str(self.request.path_params[name])


Handler = Callable[[Call], Any]  # a plain function (run in the thread pool) or a coroutine


@dataclass(frozen=True)
class Operation:
    """A method and path, its handler, and what the OpenAPI document says about it."""

    method: str
    path: str
    handler: Handler
    summary: str
    who: str
    result: Schema
    tag: str
    status: int = 200
    body: Schema | None = None
    body_required: bool = False
    multipart: Schema | None = None
    query: tuple[Param, ...] = ()
    errors: tuple[int, ...] = (401,)
    public: bool = False
    description: str = ""
    headers: Mapping[str, Schema] = field(default_factory=dict)
    media: str = "application/json"
    """The success answer's content type: a handler of any other returns a `Response`."""

    @property
    def operation_id(self) -> str:
        """The handler's name, unique across the API."""
        return self.handler.__name__

    def route(self) -> Route:
        """The Starlette route that runs this operation."""
        return Route(self.path, self._endpoint, methods=[self.method],
                     name=f"api:{self.operation_id}")

    async def _endpoint(self, request: Request) -> Response:
        user: User | None = request.state.user
        if user is None and not self.public:
            raise NotAuthenticated(NO_TOKEN)
        query = {p.name: p.read(request.query_params.getlist(p.name)) for p in self.query}
        body: dict[str, Any] = {}
        if self.body is not None:
            body = await read_json(request, self.body, required=self.body_required)
        call = Call(request, user, body, query)
        if inspect.iscoroutinefunction(self.handler):
            result = await self.handler(call)
        else:  # services block on durable writes: keep them off the event loop
            result = await run_in_threadpool(self.handler, call)
        if isinstance(result, Response):  # a file (a PDF), not JSON
            return result
        headers = None
        if isinstance(result, Listing):
            headers = {"X-Total-Count": str(result.total)}
            result = result.items
        return JSONResponse(result, status_code=self.status, headers=headers)


async def read_json(request: Request, schema: Schema, *, required: bool) -> dict[str, Any]:
    """The body as a JSON object of ``schema``'s shape; an empty body is ``{}`` unless required."""
    # Refused by its declared length before reading, and counted while reading in case
    # the length lies (the edge's BodyLimit caps it too, see runtime/web/bodies.py).
    length = request.headers.get("content-length", "")
    too_large = TooLarge(f"请求体超过 {MAX_JSON_BYTES // 1024} KB 的上限")
    if length.isdigit() and int(length) > MAX_JSON_BYTES:
        raise too_large
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_JSON_BYTES:
            raise too_large
    if not raw.strip():
        if required:
            raise Invalid("请求体不能为空，须为 JSON 对象",
                          [{"pointer": "", "message": "缺少请求体"}])
        return {}
    try:
        value = json.loads(bytes(raw), parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:  # about 1,000 levels: the decoder's own limit
        raise Invalid("请求体嵌套过深", [{"pointer": "", "message": f"嵌套超过 {MAX_JSON_DEPTH} 层"}
                                     ]) from None
    except ValueError:
        raise Invalid("请求体不是有效的 JSON", [{"pointer": "", "message": "不是有效的 JSON"}]) \
            from None
    if not isinstance(value, dict):
        raise Invalid("请求体须为 JSON 对象", [{"pointer": "", "message": "须为对象"}])
    odd = text_errors(value, MAX_JSON_DEPTH)  # before anything else walks it recursively
    if odd:
        raise Invalid("请求内容含有不能保存的字符，或嵌套过深", odd)
    problems = shape_problems(schema, value)
    if problems:
        raise Invalid("请求内容有误", problems)
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    # 1e400 parses as infinity, which could be stored but never sent back as JSON.
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def shape_problems(schema: Schema, value: Any) -> list[Detail]:
    """Every place where ``value`` does not have ``schema``'s shape, as ``{pointer, message}``."""
    # One error per missing key or per unknown key may repeat a pair: keep each once.
    found = {(d["pointer"], d["message"]): d
             for e in Draft202012Validator(schema).iter_errors(value) for d in _describe(e)}
    return sorted(found.values(), key=lambda d: d["pointer"])


def _describe(error: ValidationError) -> Iterable[Detail]:
    at = pointer(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        for key in error.validator_value:
            if key not in error.instance:
                yield {"pointer": f"{at}/{_escape(key)}", "message": "必填"}
    elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        for key in error.instance:
            if key not in known:
                yield {"pointer": f"{at}/{_escape(key)}", "message": "不支持的字段"}
    elif error.validator == "type":
        kinds = error.validator_value
        names = [TYPE_NAMES.get(k, k) for k in ([kinds] if isinstance(kinds, str) else kinds)]
        yield {"pointer": at, "message": f"须为{'或'.join(names)}"}
    else:
        yield {"pointer": at, "message": "格式不正确"}


def pointer(path: Iterable[Any]) -> str:
    """A JSON pointer (RFC 6901) from a path of keys and indexes."""
    return "".join(f"/{_escape(str(p))}" for p in path)


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


LIMIT = Param("limit", "how many items to return", minimum=1, maximum=200, default=50)
OFFSET = Param("offset", "how many items to skip", minimum=0, maximum=1_000_000, default=0)
