"""Regenerate the README's pictures of the lecture neuron (needs Graphviz's dot).

Run: python docs/make_images.py
Writes docs/neuron_forward.png (left to right, the default), docs/neuron_backward.png and
docs/neuron_step5.png (top to bottom: narrow enough to read on a README page), the same
three in Korean for README.ko.md (neuron_*.ko.png), and, when playwright and Debian's
Chromium are there, a screenshot of the Korean stepper page (neuron_stepper.ko.png).
"""

from __future__ import annotations

import pathlib

from microprop import Value
from microprop.expr import lecture_neuron
from microprop.viz import save, save_stepper

DOCS = pathlib.Path(__file__).resolve().parent


def stepper_screenshot(o: Value, path: pathlib.Path, lang: str, step: int = 5) -> pathlib.Path | None:
    """The stepper page of ``o`` (top to bottom) at backward step ``step``, as Chromium shows it 1800 px wide (the whole graph and its legend)."""
    import shutil
    import tempfile

    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        chromium = None
    if chromium is None:
        print(f"skipped {path.name}: needs playwright and Debian's chromium")
        return None
    page_file = save_stepper(o, pathlib.Path(tempfile.mkdtemp()) / "stepper.html", lang=lang, rankdir="TB")
    args = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=args)
        tab = browser.new_page(viewport={"width": 1800, "height": 1200})
        tab.goto(page_file.as_uri())
        tab.wait_for_selector(".mp-pane:not([hidden]) svg g.node", timeout=30_000)
        tab.locator("#stepper").focus()
        for _ in range(step):
            tab.keyboard.press("ArrowRight")
        tab.locator("#stepper").screenshot(path=str(path))
        browser.close()
    return path


def main() -> None:
    """Write the PNGs and print their paths."""
    o = lecture_neuron()
    for name, options in (
        ("neuron_forward.png", {}),
        ("neuron_backward.png", {"view": "backward", "rankdir": "TB"}),
        ("neuron_step5.png", {"step": 5, "rankdir": "TB"}),
    ):
        print(save(o, DOCS / name, **options))
        print(save(o, DOCS / name.replace(".png", ".ko.png"), lang="ko", **options))
    print(stepper_screenshot(o, DOCS / "neuron_stepper.ko.png", "ko"))


if __name__ == "__main__":
    main()
