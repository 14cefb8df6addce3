"""The Korean catalogue: complete, consistent with the code and the glossary, and used by the CLI."""

from __future__ import annotations

import gettext
import os
import pathlib
import re
import shutil
import string
import subprocess
import sys

import pytest

from microprop.cli import COMMANDS, main
from microprop.i18n import LOCALE_DIR, from_environment, language, tr

babel = pytest.importorskip("babel")
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = pathlib.Path(__file__).resolve().parent.parent
PO = LOCALE_DIR / "ko" / "LC_MESSAGES" / "microprop.po"
MO = PO.with_suffix(".mo")
GLOSSARY = ROOT / "docs" / "glossary.ko.md"


def _catalogue():
    with open(PO, "rb") as f:
        return read_po(f)


def _pairs() -> list[tuple[str, str]]:
    """(English, Korean) for every message, plural forms included."""
    pairs = []
    for message in _catalogue():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        pairs += [(ids[0], strings[0])] + [(ids[-1], s) for s in strings[1:]]
    return pairs


def _fields(text: str) -> list[tuple[str, str, str]]:
    return sorted(
        (name, spec or "", conversion or "")
        for _, name, spec, conversion in string.Formatter().parse(text)
        if name is not None
    )


def test_every_message_is_translated_with_the_same_placeholders():
    """Each message has a Korean text with the same named placeholders (format specs too)."""
    pairs = _pairs()
    assert len(pairs) > 100
    for english, korean in pairs:
        assert korean, f"untranslated: {english!r}"
        assert _fields(korean) == _fields(english), english
        assert "%(default)s" not in english or "%(default)s" in korean


def test_every_message_in_the_code_is_in_the_catalogue():
    """Every tr/ntr/N_ message in microprop/ and viz/ is in the .po (run `make messages`)."""
    method_map = [("microprop/**.py", "python"), ("viz/**.py", "python")]
    keywords = {"tr": None, "ntr": (1, 2), "N_": None}
    found = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, keywords=keywords)
    }
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue() if m.id}
    assert found - known == set(), (
        "new or changed messages: run `make messages`, then translate the empty entries of "
        "microprop/locale/ko/LC_MESSAGES/microprop.po (terms: docs/glossary.ko.md) and run it again"
    )


def test_compiled_catalogue_matches_the_po():
    """The committed .mo holds exactly the .po's translations (it ships in the wheel)."""
    with open(MO, "rb") as f:
        compiled = gettext.GNUTranslations(f)._catalog  # type: ignore[attr-defined]
    for message in _catalogue():
        if not message.id or isinstance(message.id, tuple):
            continue
        assert compiled.get(message.id) == message.string, message.id


def _glossary() -> list[tuple[list[str], str, list[str]]]:
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0].startswith(("English", "---")):
            continue
        english, korean, avoid = cells
        rows.append(
            (
                [t.strip() for t in english.split(",")],
                korean,
                [t.strip() for t in avoid.split(",") if t.strip()],
            )
        )
    return rows


def test_glossary_has_the_books_terms():
    """The glossary fixes the terms of 『밑바닥부터 시작하는 딥러닝』 the issue lists."""
    korean = {k for _, k, _ in _glossary()}
    for term in (
        "순전파",
        "역전파",
        "연쇄 법칙",
        "국소적 미분",
        "기울기",
        "분기 노드",
        "가중치 감소",
        "수치 미분",
        "기울기 확인",
        "확률적 경사 하강법",
        "학습률",
        "활성화 함수",
    ):
        assert term in korean


def test_catalogue_uses_the_glossary_terms():
    """A message using an English term of the glossary uses its Korean term; none uses a word to avoid."""
    rows = _glossary()
    for english, korean_text in _pairs():
        plain = " ".join(re.sub(r"\{[^}]*\}", " ", english).split())  # placeholders are not words
        korean_text = " ".join(korean_text.split())  # a term may wrap across lines
        for terms, korean, avoid in rows:
            for term in terms:
                pattern = rf"(?<![\w.\-]){re.escape(term)}(?![\w(.])"  # not in code: x.grad, grads.png
                if re.search(pattern, plain, flags=re.IGNORECASE):
                    assert korean in korean_text, (
                        f"{english!r} uses {term!r}: expected {korean!r} in {korean_text!r}"
                    )
            for word in avoid:
                assert word not in korean_text, f"{korean_text!r} uses {word!r} (glossary: {korean!r})"


def test_language_order_argument_then_variable_then_locale():
    """lang= beats MICROPROP_LANG, which beats the locale; English otherwise."""
    assert from_environment({"LANG": "ko_KR.UTF-8"}) == "ko"
    assert from_environment({"LC_ALL": "ko_KR.UTF-8", "LANG": "en_US.UTF-8"}) == "ko"
    assert from_environment({"MICROPROP_LANG": "en", "LANG": "ko_KR.UTF-8"}) == "en"
    assert from_environment({"MICROPROP_LANG": "ko"}) == "ko"
    assert from_environment({}) == "en"
    with language("en"):
        assert tr("forward") == "forward"
    with language("ko"):
        assert tr("forward") == "순전파"


def test_korean_errors_keep_the_caret(capsys):
    """A bad expression is explained in Korean, the caret still under the mistake, exit status 2."""
    assert main(["step", "x*y + 2x", "x=1", "y=2", "--lang", "ko"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "microprop: 오류: 2*x로 쓰세요: 곱하려면 숫자와 이름 사이에 *가 필요합니다\n  x*y + 2x\n        ^^\n"
    )


def test_english_stays_the_default(capsys, monkeypatch):
    """Without --lang, MICROPROP_LANG or a Korean locale, output is English."""
    for var in ("MICROPROP_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert main(["check", "x*y", "x=2", "y=3"]) == 0
    assert capsys.readouterr().out.endswith("all gradients match\n")


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MICROPROP_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES")
    }
    return subprocess.run(
        [sys.executable, "-m", "microprop", *args],
        capture_output=True,
        text=True,
        env={**clean, **env},
        check=False,
    )


def test_korean_locale_alone_switches():
    """LANG=ko_KR.UTF-8, nothing else, gives Korean output; MICROPROP_LANG=en overrides it."""
    korean = _run("check", "x*y", "x=2", "y=3", LANG="ko_KR.UTF-8")
    assert korean.returncode == 0 and korean.stdout.endswith("모든 기울기가 일치합니다\n")
    english = _run("check", "x*y", "x=2", "y=3", LANG="ko_KR.UTF-8", MICROPROP_LANG="en")
    assert english.stdout.endswith("all gradients match\n")


def test_lang_option_on_every_subcommand(capsys):
    """Each subcommand takes --lang and shows its help in Korean."""
    for command in COMMANDS:
        assert main([command, "--help", "--lang", "ko"]) == 0
        out = capsys.readouterr().out
        assert out.startswith("사용법: microprop " + command) and "옵션:" in out and "예:" in out


NEURON = ["tanh(x1*w1 + x2*w2 + b)", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432"]


def test_step_in_korean_has_the_same_chain_rule_lines_and_numbers(capsys):
    """`microprop step --lang ko` on the lecture neuron: each chain-rule line is the English
    one with Korean words (N단계, 국소적 미분) and the very same formulas and numbers."""
    assert main(["step", *NEURON]) == 0
    english = capsys.readouterr().out.splitlines()
    assert main(["step", *NEURON, "--lang", "ko"]) == 0
    korean = capsys.readouterr().out.splitlines()
    assert len(korean) == len(english)
    words = {"forward": "순전파", "backward": "역전파", "grads": "기울기"}
    for en, ko in zip(english, korean):
        expected = words.get(en, re.sub(r"^step (\d+)", r"\1단계", en).replace("(rule: ", "(국소적 미분: "))
        assert ko == expected
    assert "    -> x1.grad += w1 × a.grad = (-3.0)(0.5) = -1.5   (국소적 미분: ∂a/∂x1 = w1)" in korean


def test_explain_and_gradcheck_take_lang():
    """explain(..., lang="ko") and a gradcheck report's text(lang="ko") speak Korean; English by default."""
    from microprop import Value
    from microprop.explain import explain
    from microprop.gradcheck import gradcheck

    x = Value(3.0, label="x")
    text = explain(x * x, lang="ko")
    assert text.splitlines()[0] == "순전파" and "x은(는) a에서 두 번" not in text
    assert "1단계  a = x × x   (×)   a.grad = 1.0" in text
    assert explain(Value(3.0, label="x") * 2).startswith("forward")
    report = gradcheck(lambda v: v.relu(), [0.0], raise_on_failure=False, names=["v"])
    assert report.text(lang="ko").splitlines()[-1].startswith("참고: relu의 입력(0)이 꺾인 점 0에 있습니다")
    assert report.text().splitlines()[-1].startswith("note: relu's input is 0")


def test_readme_korean_block_is_what_step_prints(capsys):
    """The README's Korean `microprop step` transcript is exactly what the command prints."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## 한국어 (Korean)", 1)[1].split("```\n", 2)[1]
    command, *expected = block.splitlines()
    assert command == '$ microprop step "x * y" x=2 y=-3 --lang ko'
    assert main(["step", "x * y", "x=2", "y=-3", "--lang", "ko"]) == 0
    assert capsys.readouterr().out.splitlines() == expected


def _fc_list(pattern: str) -> str:
    return subprocess.run(["fc-list", pattern, "family"], capture_output=True, text=True, check=False).stdout


def test_korean_images_name_fonts_that_have_every_glyph():
    """A Korean picture names DejaVu Sans and Noto Sans CJK KR, and between them they have
    every character its labels use (so dot draws no missing-glyph boxes)."""
    from test_viz import lecture_neuron

    from microprop.viz import to_dot
    from microprop.viz.theme import KOREAN_FONT

    source = to_dot(lecture_neuron()["o"], step=3, lang="ko")
    assert f'fontname="{KOREAN_FONT}"' in source and "기울기 0.5" in source
    if shutil.which("fc-list") is None or (
        "Noto Sans CJK KR" not in _fc_list(":lang=ko") and not os.environ.get("CI")
    ):
        pytest.skip("no Hangul font here (.ci/system-deps.sh hangul installs fonts-noto-cjk)")
    for ch in sorted({c for c in source if ord(c) > 127}):
        covered = [font for font in KOREAN_FONT.split(",") if _fc_list(f"{font}:charset={ord(ch):x}")]
        assert covered, f"no font for {ch!r} (U+{ord(ch):04X})"


README_KO = (ROOT / "README.ko.md").read_text(encoding="utf-8")


def _ko_blocks(language: str) -> list[str]:
    return [
        code
        for lang, code in re.findall(r"^```(\w*)\n(.*?)^```$", README_KO, flags=re.DOTALL | re.MULTILINE)
        if lang == language
    ]


def test_readme_ko_neuron_block_and_excerpt():
    """README.ko.md's neuron block prints the lecture's numbers, and its Korean step excerpt
    is, line for line, what explain(o, lang="ko") prints for the same neuron."""
    import contextlib
    import io

    from microprop.explain import explain

    (code, *_) = _ko_blocks("python")
    out = io.StringIO()
    namespace: dict = {}
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.ko.md", "exec"), namespace)  # noqa: S102 - our own README
    assert out.getvalue().splitlines()[0] == "o = 0.7071"
    exec(compile(code.split("o.backward()")[0], "README.ko.md", "exec"), namespace)  # noqa: S102
    text = explain(namespace["o"], lang="ko").splitlines()
    excerpt = next(block for block in _ko_blocks("") if block.startswith("5단계"))
    for line in excerpt.strip().splitlines():
        assert line in text, line


def test_readme_ko_transcripts_are_what_the_commands_print(capsys, monkeypatch):
    """Every `$ microprop ...` transcript in README.ko.md is exactly what the command prints
    (stdout, then stderr), answers piped in with printf included."""
    import io
    import shlex

    transcripts = [block for block in _ko_blocks("") if block.startswith("$ ")]
    assert len(transcripts) >= 4
    for block in transcripts:
        command, *expected = block.splitlines()
        words = shlex.split(command[2:])
        if words[0] == "printf":
            answers, words = words[1].encode().decode("unicode_escape"), words[3:]
            monkeypatch.setattr("sys.stdin", io.StringIO(answers))
        assert words[0] == "microprop"
        main(words[1:])
        captured = capsys.readouterr()
        assert (captured.out + captured.err).splitlines() == expected, command


def test_usage_errors_in_korean(capsys):
    """argparse's own errors (a missing argument, a bad option value, a bad choice) come in Korean
    under --lang ko, with the usage line; English stays argparse's wording."""
    assert main(["check", "--lang", "ko"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("사용법: microprop check ")
    assert err[-1] == "microprop check: 오류: 다음 인수가 필요합니다: EXPR, name=value"
    assert main(["check", "x", "x=1", "--eps", "-1", "--lang", "ko"]) == 2
    assert (
        capsys.readouterr().err.splitlines()[-1]
        == "microprop check: 오류: 인수 --eps: 양수여야 합니다 (받은 값: -1)"
    )
    assert main(["check"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("usage: microprop check ")
    assert err[-1] == "microprop check: error: the following arguments are required: EXPR, name=value"


def test_korean_help_fits_80_columns(capsys, monkeypatch):
    """In an 80-column terminal the Korean help of every subcommand keeps to 80 columns
    (Hangul counts two), example command lines aside."""
    import unicodedata

    monkeypatch.setenv("COLUMNS", "80")
    for command in COMMANDS:
        main([command, "--help", "--lang", "ko"])
        for line in capsys.readouterr().out.splitlines():
            if line.lstrip().startswith(("microprop ", "printf ")):
                continue
            width = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
            assert width <= 80, (command, line)


def test_korean_picture_without_dot_says_what_it_needs(monkeypatch, tmp_path):
    """With only graphviz-pure (no Hangul glyphs), a Korean picture is refused with what
    to install instead of being drawn with boxes; the .dot text still works."""
    from test_viz import lecture_neuron

    from microprop.viz import GraphvizMissing, render, save

    pure = [r for r in render.renderers() if r.name == "graphviz-pure"]
    if not pure:
        pytest.skip("graphviz-pure is not installed")
    monkeypatch.setattr(render, "renderers", lambda: pure)
    o = lecture_neuron()["o"]
    with pytest.raises(GraphvizMissing, match="fonts-noto-cjk"):
        save(o, tmp_path / "ko.png", step=3, lang="ko")
    assert save(o, tmp_path / "en.png", step=3).stat().st_size > 0
    assert "기울기" in save(o, tmp_path / "ko.dot", step=3, lang="ko").read_text(encoding="utf-8")
