"""``microprop lab``: the live backprop lab, a local web app (``pip install 'microprop[lab]'``).

The page is the stepper front end (``microprop.viz``) with an expression box, presets
and a field and a slider per input. Every change is sent to this server, which parses
the expression with microprop's safe parser (never ``eval``), builds the graph and
answers with its scene; the page rewrites the numbers in place. The state (expression,
values, view, step) lives in the page's URL, so a link shares it.

Safe by default: it listens on 127.0.0.1; every request needs the random token printed
with the URL (403 otherwise); a Host header other than localhost, 127.0.0.1 or [::1]
is refused (403, against DNS rebinding); a body over 64 KiB gets 413; a bad
expression gets 400 with the parser's message and caret. Nothing from the page
reaches the file system.

>>> from starlette.testclient import TestClient
>>> client = TestClient(app("secret"), base_url="http://127.0.0.1")
>>> client.post("/api/scene?token=secret", json={"expr": "x * x", "values": {"x": 3}}).json()["data"]["v1"]
'9.0'
>>> client.post("/api/scene?token=wrong", json={"expr": "x"}).status_code
403
"""

from __future__ import annotations

import html
import json
import math
import secrets
from collections.abc import Mapping, MutableMapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from microprop.engine import Value
from microprop.expr import ExprError, parse_program
from microprop.i18n import N_, check_lang, current, language, template, tr
from microprop.viz.scene import json_float, scene, to_json
from microprop.viz.stepper import MARKER, asset, front_end_js
from microprop.viz.walk import GraphTooLarge

MAX_BODY = 64 * 1024
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
DEFAULT_VALUE = 1.0  # an input the page has no value for yet
MAX_NODES = 400
SHAPE = "{expr, values}"  # what a request to /api/scene holds


def _values(text: str) -> dict[str, float]:
    """``"x=2 w=-3"`` as a dict, as the command line writes values."""
    return {name: float(x) for name, x in (pair.split("=") for pair in text.split())}


MAZUR = (
    "net_h1 = w1*i1 + w2*i2 + b1; net_h2 = w3*i1 + w4*i2 + b1; "
    "out_h1 = sigmoid(net_h1); out_h2 = sigmoid(net_h2); "
    "net_o1 = w5*out_h1 + w6*out_h2 + b2; net_o2 = w7*out_h1 + w8*out_h2 + b2; "
    "out_o1 = sigmoid(net_o1); out_o2 = sigmoid(net_o2); "
    "E_o1 = 0.5*(t1 - out_o1)**2; E_o2 = 0.5*(t2 - out_o2)**2; E_total = E_o1 + E_o2"
)

#: what a teacher can pick: name, expression (named steps), values
PRESETS: list[dict[str, Any]] = [
    {
        "name": N_("the lecture neuron (micrograd)"),
        "expr": "x1w1 = x1*w1; x2w2 = x2*w2; x1w1x2w2 = x1w1 + x2w2; n = x1w1x2w2 + b; o = tanh(n)",
        "values": _values("x1=2 w1=-3 x2=0 w2=1 b=6.8813735870195432"),
    },
    {
        "name": N_("Mazur's 2-2-2 network (his weights)"),
        "expr": MAZUR,
        "values": _values(
            "w1=.15 i1=.05 w2=.2 i2=.1 b1=.35 w3=.25 w4=.3 w5=.4 w6=.45 b2=.6 w7=.5 w8=.55 t1=.01 t2=.99"
        ),
    },
    {
        "name": N_("accumulation: b = a + a (micrograd's bug: a.grad must be 2)"),
        "expr": "b = a + a",
        "values": _values("a=3"),
    },
    {
        "name": N_("accumulation: y = x * x (both slots send a grad)"),
        "expr": "y = x * x",
        "values": _values("x=3"),
    },
    {
        "name": N_("accumulation: backward() called twice without zero_grad (x.grad doubles)"),
        "expr": "y = x * w",
        "values": _values("x=2 w=-3"),
        "passes": 2,
    },
    {
        "name": N_("accumulation: one node feeds two ops (d = a*b; e = a + b; f = d*e)"),
        "expr": "d = a*b; e = a + b; f = d*e",
        "values": _values("a=-2 b=3"),
    },
    {
        "name": N_("one neuron of an MLP: tanh(w·x + b), 3 inputs"),
        "expr": "n = w1*x1 + w2*x2 + w3*x3 + b; out = tanh(n)",
        "values": _values("w1=0.5 x1=2 w2=-0.3 x2=3 w3=0.8 x3=-1 b=0.1"),
    },
]


class BadRequest(ValueError):
    """A request the lab refuses: status and message."""

    def __init__(self, status: int, message: str, detail: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.detail = dict(detail or {})


def evaluate(
    expr: Any, values: Any, lang: str | None = None, have: Any = None, quiz: Any = True, passes: Any = 1
) -> dict[str, Any]:
    """The scene of ``expr`` at ``values`` (inputs without a value get 1.0; values
    for names the expression doesn't use are ignored); ``BadRequest`` (400) with the
    parser's message and caret for a bad expression. Words in ``lang`` (default: the
    language in effect). ``have`` and ``quiz`` as in ``microprop.viz.scene.scene``:
    the page's layout key, and whether to add the quiz. ``passes``: 1, or 2 for a
    second ``backward()`` without ``zero_grad`` (the leaves' grads accumulate).

    >>> evaluate("n = x*w; o = tanh(n)", {"x": 2, "w": 0.5})["names"]
    {'v0': 'x', 'v1': 'w', 'v2': 'n', 'v3': 'o'}
    >>> evaluate("x +", {})
    Traceback (most recent call last):
    ...
    microprop.lab.BadRequest: syntax error: the expression ends too soon: a number or variable is missing at the end
    """
    with language(lang):
        return _evaluate(expr, values, have if isinstance(have, str) else None, quiz is not False, passes)


def _evaluate(expr: Any, values: Any, have: str | None, quiz: bool, passes: Any) -> dict[str, Any]:
    if passes not in (1, 2) or isinstance(passes, bool):
        raise BadRequest(400, tr("passes must be 1 or 2, not {passes}", passes=repr(passes)[:40]))
    if not isinstance(expr, str):
        raise BadRequest(400, tr("expr must be text"))
    if not isinstance(values, dict):
        raise BadRequest(400, tr("values must be an object of name: number"))
    try:
        program = parse_program(expr)
    except ExprError as err:
        raise BadRequest(
            400, err.message, {"pretty": err.pretty(), "col": err.col, "width": err.width}
        ) from None
    leaves = {}
    for name in program.variables:
        x = values.get(name, DEFAULT_VALUE)
        if isinstance(x, str) and x in ("inf", "-inf", "nan"):
            x = float(x)
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            raise BadRequest(
                400,
                tr("the value of {name} must be a number, not {value}", name=name, value=repr(str(x)[:40])),
            )
        leaves[name] = Value(float(x) if math.isfinite(x) else x, label=name)
    root = program.evaluate(leaves)
    try:
        return scene(
            root, leaves=list(leaves.values()), max_nodes=MAX_NODES, have=have, quiz=quiz, passes=passes
        )
    except GraphTooLarge as err:
        raise BadRequest(400, str(err)) from None


def _error(status: int, message: str, **detail: Any) -> JSONResponse:
    return JSONResponse({"error": message, **detail}, status_code=status)


def _too_large() -> str:
    return tr("the request is larger than {kib} KiB", kib=MAX_BODY // 1024)


async def _body(request: Request) -> bytes:
    """The request body, refusing more than ``MAX_BODY`` bytes however it is sent."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
        raise BadRequest(413, _too_large())
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise BadRequest(413, _too_large())
    return body


async def scene_endpoint(request: Request, lang: str = "en") -> Response:
    """POST ``{"expr": ..., "values": {...}, "have": layout key, "quiz": bool, "passes": 1 or 2}`` -> the
    scene, or an error as JSON (its words in ``lang``)."""
    with language(lang):
        return await _scene_endpoint(request, lang)


async def _scene_endpoint(request: Request, lang: str) -> Response:
    try:
        body = await _body(request)
        try:
            payload = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BadRequest(400, tr("the request must be JSON: {shape}", shape=SHAPE)) from None
        if not isinstance(payload, dict):
            raise BadRequest(400, tr("the request must be a JSON object: {shape}", shape=SHAPE))
        data = evaluate(
            payload.get("expr"),
            payload.get("values", {}),
            lang,
            payload.get("have"),
            payload.get("quiz"),
            payload.get("passes", 1),
        )
    except BadRequest as err:
        return _error(err.status, str(err), **err.detail)
    return Response(to_json(data), media_type="application/json")


#: the page's own words (the stepper's come with each scene)
PAGE_TEXT = {
    "title": N_("microprop lab"),
    "preset": N_("preset"),
    "choose": N_("choose…"),
    "steps": N_("steps:"),
    "functions": N_("functions:"),
    "powers": N_("for powers"),
    "expression": N_("expression"),
    "run": N_("Run"),
}


def page(initial: dict[str, Any], lang: str | None = None) -> str:
    """The lab's page: the front end, the presets and the first expression, inline,
    its words in ``lang`` (default: the language in effect).

    >>> '<html lang="ko">' in page({"expr": "x", "values": {}}, lang="ko")
    True
    """
    with language(lang) as chosen:
        presets = [{**p, "name": tr(p["name"])} for p in PRESETS]
        words = {key: html.escape(tr(message)) for key, message in PAGE_TEXT.items()}
        no_answer = template("the lab server did not answer: {error}")  # the page fills {error}
    parts = {
        **words,
        "lang": chosen,
        "css": asset("stepper.css"),
        "js": front_end_js() + "\n" + asset("lab.js"),
        "data": to_json(
            {
                "presets": presets,
                "initial": {**initial, "values": {k: json_float(v) for k, v in initial["values"].items()}},
                "ui": {"no_answer": no_answer},
            }
        ),
    }
    return MARKER.sub(lambda m: parts[m.group(1)], asset("lab.html"))


def hostname(host: str) -> str:
    """The name part of a Host header, lower case: ``[::1]:8000`` -> ``[::1]``.

    >>> hostname("LocalHost:8000"), hostname("[::1]:80"), hostname("127.0.0.1")
    ('localhost', '[::1]', '127.0.0.1')
    """
    if host.startswith("["):
        return host.split("]")[0].lower() + "]"
    return (host.rsplit(":", 1)[0] if ":" in host else host).lower()


class Guard:
    """ASGI middleware: the Host header must name this machine, every request must
    carry the token (``?token=`` or an ``X-Microprop-Token`` header), bodies are capped.
    Refusals are plain text in ``lang``, the page's language."""

    def __init__(self, app: ASGIApp, token: str, hosts: frozenset[str], lang: str = "en") -> None:
        self.app, self.token, self.hosts, self.lang = app, token, hosts, check_lang(lang)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        host = request.headers.get("host", "")
        given = request.query_params.get("token") or request.headers.get("x-microprop-token") or ""
        with language(self.lang):
            if hostname(host) not in self.hosts:
                refusal = 403, tr("host {host} is not this lab's", host=repr(host[:80]))
            elif not secrets.compare_digest(given.encode(), self.token.encode()):
                refusal = 403, tr("the lab needs its token: open the URL it printed")
            elif (length := request.headers.get("content-length")) and (
                not length.isdigit() or int(length) > MAX_BODY
            ):
                refusal = 413, _too_large()
            else:
                await self.app(scope, receive, _secure(send))
                return
        status, text = refusal
        await PlainTextResponse(text, status_code=status)(scope, receive, send)


CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'wasm-unsafe-eval'; style-src 'unsafe-inline'; "
    "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"referrer-policy", b"no-referrer"),  # the token stays out of Referer headers
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-store"),
]  # fmt: skip


def _secure(send: Send) -> Send:
    async def wrapped(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *HEADERS]}
        await send(message)

    return wrapped


def app(
    token: str,
    initial: dict[str, Any] | None = None,
    hosts: frozenset[str] = LOCAL_HOSTS,
    lang: str | None = None,
) -> Guard:
    """The lab as an ASGI app guarded by ``token``; ``initial`` is the first expression
    (``{"expr": ..., "values": {...}}``, default the lecture neuron); the page and every
    scene speak ``lang`` (default: the language in effect when the app is made)."""
    lang = current() if lang is None else check_lang(lang)
    start = initial or {"expr": PRESETS[0]["expr"], "values": PRESETS[0]["values"]}
    evaluate(start["expr"], start["values"], lang)  # a bad start fails here, not in the page
    body = page(start, lang)

    async def index(request: Request) -> Response:
        return HTMLResponse(body)

    async def scenes(request: Request) -> Response:
        return await scene_endpoint(request, lang)

    routes = [Route("/", index), Route("/api/scene", scenes, methods=["POST"])]
    return Guard(Starlette(routes=routes), token, hosts, lang)
