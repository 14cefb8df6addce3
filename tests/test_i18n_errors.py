"""Argument errors of the library and the lab's refusals speak the chosen language."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from microprop import Value, losses, nn, optim
from microprop.i18n import language
from microprop.viz import draw


def _x() -> Value:
    return Value(2.0, label="x")


def _neuron_call() -> object:
    return nn.Neuron(3)([1.0, 2.0])


def _state_dict() -> None:
    nn.Neuron(1).load_state_dict({"w9": 1.0})


def _prelu_one() -> object:
    return nn.PReLU(2)(1.0)


# (what raises, the error type, the English message, the Korean message)
CASES: list[tuple[str, Callable[[], object], type[Exception], str, str]] = [
    (
        "viz view",
        lambda: draw(_x(), view="sideways"),
        ValueError,
        "view must be one of 'forward', 'backward', not 'sideways'",
        "view는 'forward', 'backward' 중 하나여야 합니다 (받은 값: 'sideways')",
    ),
    (
        "viz rankdir",
        lambda: draw(_x(), rankdir="XY"),
        ValueError,
        "rankdir must be one of LR, TB, RL, BT, not 'XY'",
        "rankdir은 LR, TB, RL, BT 중 하나여야 합니다 (받은 값: 'XY')",
    ),
    (
        "activation",
        lambda: nn.Neuron(2, activation="swish"),  # type: ignore[arg-type]
        ValueError,
        "unknown activation 'swish'; choose from",
        "알 수 없는 활성화 함수 'swish'입니다 (가능한 값:",
    ),
    (
        "init",
        lambda: nn.Neuron(2, init="zeros"),  # type: ignore[arg-type]
        ValueError,
        "unknown init 'zeros'; choose from",
        "알 수 없는 초기화 'zeros'입니다 (가능한 값:",
    ),
    (
        "neuron inputs",
        _neuron_call,
        ValueError,
        "this neuron takes 3 inputs, got 2",
        "이 뉴런의 입력은 3개인데 2개를 받았습니다",
    ),
    (
        "neuron one input",
        lambda: nn.Neuron(1)([1.0, 2.0]),
        ValueError,
        "this neuron takes 1 input, got 2",
        "이 뉴런의 입력은 1개인데 2개를 받았습니다",
    ),
    (
        "state_dict",
        _state_dict,
        KeyError,
        "state_dict mismatch: missing ['w.0', 'b'], unexpected ['w9']",
        "state_dict가 맞지 않습니다: 빠진 이름 ['w.0', 'b'], 모르는 이름 ['w9']",
    ),
    (
        "dropout",
        lambda: nn.Dropout(1.5),
        ValueError,
        "dropout probability must be in [0, 1], got 1.5",
        "드롭아웃 확률은 [0, 1] 안에 있어야 합니다 (받은 값: 1.5)",
    ),
    (
        "prelu size",
        lambda: nn.PReLU(0),
        ValueError,
        "num_parameters must be at least 1, not 0",
        "num_parameters는 1 이상이어야 합니다 (받은 값: 0)",
    ),
    (
        "prelu scalar",
        _prelu_one,
        ValueError,
        "this PReLU has 2 slopes; give it a list of inputs",
        "이 PReLU의 기울기 매개변수는 2개입니다: 입력을 리스트로 주세요",
    ),
    (
        "prelu list",
        lambda: nn.PReLU(2)([1.0, 2.0, 3.0]),
        ValueError,
        "this PReLU has 2 slopes for 3 inputs",
        "이 PReLU의 기울기 매개변수는 2개인데 입력은 3개입니다",
    ),
    (
        "mlp activations",
        lambda: nn.MLP(2, [3, 3, 1], activation=["tanh"]),
        ValueError,
        "1 activations given for 2 hidden layers",
        "은닉층은 2개인데 활성화 함수가 1개 주어졌습니다",
    ),
    (
        "empty optimizer",
        lambda: optim.SGD([], lr=0.1),
        ValueError,
        "optimizer got an empty parameter list",
        "옵티마이저가 받은 매개변수 목록이 비어 있습니다",
    ),
    (
        "learning rate",
        lambda: optim.Adam([_x()], lr=-1.0),
        ValueError,
        "invalid learning rate -1.0",
        "잘못된 학습률입니다: -1.0",
    ),
    (
        "nesterov",
        lambda: optim.SGD([_x()], lr=0.1, nesterov=True),
        ValueError,
        "Nesterov momentum needs momentum > 0 and dampening = 0",
        "Nesterov 모멘텀에는 momentum > 0과 dampening = 0이 필요합니다",
    ),
    (
        "loss lengths",
        lambda: losses.mse([1.0, 2.0], [1.0]),
        ValueError,
        "2 predictions but 1 targets",
        "예측값은 2개인데 목표값은 1개입니다",
    ),
    (
        "no predictions",
        lambda: losses.mse([], []),
        ValueError,
        "no predictions",
        "예측값이 없습니다",
    ),
    (
        "sample lengths",
        lambda: losses.kl_divergence([0.5, 0.5], [1.0]),
        ValueError,
        "a sample of 2 predictions but 1 targets",
        "한 샘플의 예측값은 2개인데 목표값은 1개입니다",
    ),
    (
        "reduction",
        lambda: losses.mse([1.0], [1.0], reduction="max"),
        ValueError,
        "reduction must be one of 'mean', 'sum', not 'max'",
        "reduction은 'mean', 'sum' 중 하나여야 합니다 (받은 값: 'max')",
    ),
    (
        "samples",
        lambda: losses.cross_entropy([[1.0, 2.0]], [0, 1]),
        ValueError,
        "1 samples but 2 targets",
        "샘플은 1개인데 목표값은 2개입니다",
    ),
    (
        "class index",
        lambda: losses.cross_entropy([[1.0, 2.0]], [5]),
        IndexError,
        "target 5 out of range for 2 classes",
        "목표 클래스 5이(가) 클래스 2개의 범위를 벗어납니다",
    ),
    (
        "softmax",
        lambda: losses.softmax([]),
        ValueError,
        "softmax of no logits",
        "로짓이 하나도 없어 softmax를 계산할 수 없습니다",
    ),
]


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize(("name", "call", "error", "english", "korean"), CASES, ids=[c[0] for c in CASES])
def test_argument_errors_speak_the_language(name, call, error, english, korean, lang) -> None:
    """Each argument error reads in the language in effect, with its values filled in."""
    with language(lang), pytest.raises(error) as info:
        call()
    message = str(info.value.args[0])
    assert (english if lang == "en" else korean) in message
    assert (korean if lang == "en" else english) not in message


def test_errors_follow_microprop_lang(monkeypatch) -> None:
    """MICROPROP_LANG chooses the language of an argument error, as for the rest."""
    monkeypatch.setenv("MICROPROP_LANG", "ko")
    with pytest.raises(ValueError, match="학습률"):
        optim.SGD([_x()], lr=-1.0)


pytest.importorskip("starlette")
from starlette.testclient import TestClient

from microprop import lab

TOKEN = "test-token"


def _client(lang: str) -> TestClient:
    return TestClient(lab.app(TOKEN, lang=lang), base_url="http://127.0.0.1")


# (what is sent, status, the English body, the Korean body)
REFUSALS = [
    ("no token", {"url": "/"}, 403, "the lab needs its token: open the URL it printed",
     "실험실에 들어가려면 토큰이 필요합니다: 실험실이 출력한 URL을 여세요"),
    ("foreign host", {"url": f"/?token={TOKEN}", "headers": {"Host": "evil.example"}}, 403,
     "host 'evil.example' is not this lab's", "호스트 'evil.example'은(는) 이 실험실의 주소가 아닙니다"),
    ("too large", {"url": f"/api/scene?token={TOKEN}", "method": "POST", "content": b"x" * (65 * 1024)}, 413,
     "the request is larger than 64 KiB", "요청이 64 KiB보다 큽니다"),
]  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize(("name", "sent", "status", "english", "korean"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_lab_refusals_speak_the_page_language(name, sent, status, english, korean, lang) -> None:
    """The lab's plain-text 403 and 413 are in the language of its page."""
    r = _client(lang).request(sent.get("method", "GET"), sent["url"], headers=sent.get("headers"),
                              content=sent.get("content"))  # fmt: skip
    assert r.status_code == status
    assert r.text == (english if lang == "en" else korean)


BAD_BODIES = [
    ("streamed too large", [b"x" * 40_000, b"x" * 40_000], 413, "the request is larger than 64 KiB",
     "요청이 64 KiB보다 큽니다"),
    ("not JSON", b"expr=x", 400, "the request must be JSON: {expr, values}", "요청은 JSON이어야 합니다: {expr, values}"),
    ("not an object", b"[1]", 400, "the request must be a JSON object: {expr, values}",
     "요청은 JSON 객체여야 합니다: {expr, values}"),
    ("expr", b'{"expr": 3}', 400, "expr must be text", "expr은 텍스트여야 합니다"),
    ("values", b'{"expr": "x", "values": [1]}', 400, "values must be an object of name: number",
     "values는 이름: 숫자 쌍의 객체여야 합니다"),
    ("passes", b'{"expr": "x", "passes": 3}', 400, "passes must be 1 or 2, not 3",
     "passes는 1 또는 2여야 합니다 (받은 값: 3)"),
]  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize(("name", "body", "status", "english", "korean"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_lab_json_errors_speak_the_page_language(name, body, status, english, korean, lang) -> None:
    """The scene endpoint's 400 and 413 errors are in the language of the page."""
    content = iter(body) if isinstance(body, list) else body  # a list is sent in chunks, with no length
    r = _client(lang).post(f"/api/scene?token={TOKEN}", content=content)
    assert r.status_code == status
    assert r.json()["error"] == (english if lang == "en" else korean)
