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
