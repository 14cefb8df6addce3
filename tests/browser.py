"""Shared helpers for the Chromium tests: one browser per test module, tabs that
collect console errors and every network request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import require_program

ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


def launch() -> Iterator[object]:
    """Debian's Chromium driven by playwright (never a downloaded browser)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    path = require_program("chromium")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=ARGS)
        yield browser
        browser.close()


def open_tab(browser, url: str, width: int = 1280, height: int = 800, local: tuple[str, ...] = ("file:",)):
    """A new tab on ``url``; console errors, page errors and requests to anything but
    ``local`` collect in ``tab.errors``."""
    tab = browser.new_page(viewport={"width": width, "height": height})
    tab.errors = []
    tab.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: tab.errors.append(str(e)))
    tab.on("request", lambda r: None if r.url.startswith(local) else tab.errors.append(f"network: {r.url}"))
    tab.goto(url)
    return tab


def open_stepper(browser, url: str, width: int = 1280, height: int = 800):
    """A new tab on a stepper page, its view drawn (errors collect as in ``open_tab``)."""
    tab = open_tab(browser, url, width=width, height=height)
    wait_laid_out(tab)
    return tab


def wait_laid_out(tab, root: str = "") -> None:
    """Wait until the stepper under ``root`` (a CSS selector) has drawn its visible view."""
    tab.wait_for_selector(f"{root} .mp-pane:not([hidden]) svg g.node", timeout=30_000)


MIN_TEXT_PX = """(root) => Math.min(...[...document.querySelectorAll(root + ' .mp-pane:not([hidden]) g.node text')]
    .map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a))"""

# Where the current value node sits: the graph pane must be wholly in the window (it is at
# most 75vh tall) and the node inside the pane, clear of its top and bottom edges (a node
# wider than the pane spans it); returns the failures, [] when well placed.
PLACEMENT = """(root) => {
    const g = document.querySelector(root + ' .mp-pane:not([hidden]) g.node.current:not(.op)');
    const r = g.getBoundingClientRect(), box = document.querySelector(root + ' .mp-graph').getBoundingClientRect();
    const bad = [], clear = Math.min(16, (box.height - r.height) / 2);
    if (box.top < -1 || box.bottom > innerHeight + 1) bad.push(`pane ${box.top}..${box.bottom} not in the window 0..${innerHeight}`);
    if (r.top < box.top + clear - 1 || r.bottom > box.bottom - clear + 1) bad.push(`node ${r.top}..${r.bottom} glued to or out of the pane ${box.top}..${box.bottom}`);
    const across = r.width > box.width ? r.left <= box.left + 2 && r.right >= box.right - 2 : r.left >= box.left - 1 && r.right <= box.right + 1;
    if (!across) bad.push(`node ${r.left}..${r.right} cut by the pane ${box.left}..${box.right}`);
    return bad; }"""
