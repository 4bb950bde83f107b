"""Lighthouse-style checks in Chromium: width, tap targets, contrast, console errors.

Home, theme, paper and search pages, at 1366x900 and 390x844, in light and dark mode.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

PAGES = {
    "home": "",
    "theme": "themes/generative-models/",
    "paper": "papers/3d-aware-image-generation-using-2d-diffusion-models/",
    "search": "search/?q=diffusion",
}
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}

# Elements that stick out of the viewport: anything right of it, or left of it, that is
# not clipped by a scrolling ancestor, hidden, or visually-hidden on purpose.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const clipped = el => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden' || o === 'clip') return true;
    }
    return false;
  };
  return [...document.body.querySelectorAll('*')].filter(el => {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || el.closest('.visually-hidden, [hidden], .skip-link')) return false;
    return (r.right > width + 1 || r.left < -1) && !clipped(el);
  }).map(el => el.tagName + '.' + el.className + ' ' + (el.textContent || '').trim().slice(0, 40));
}"""

# Tap targets: every visible link, button and field that is not a link inside a sentence
# (WCAG 2.5.8's inline exception) must be at least 24x24 CSS pixels.
SMALL_TARGETS = """() => [...document.querySelectorAll('a[href], button, input, select, summary')]
  .filter(el => {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || el.closest('[hidden], .visually-hidden')) return false;
    if (el.classList.contains('skip-link')) return false;
    if (getComputedStyle(el).display === 'inline' && el.closest('p, li, dd, td, figcaption'))
      return false;
    return r.width < 23.5 || r.height < 23.5;
  })
  .map(el => `${el.tagName} "${(el.textContent || el.getAttribute('aria-label') || '').trim()
    .slice(0, 30)}" ${Math.round(el.getBoundingClientRect().width)}x${
    Math.round(el.getBoundingClientRect().height)}`)"""

# Text contrast: each element with its own text, against the first opaque background
# behind it (WCAG AA: 4.5:1, or 3:1 for large text).
LOW_CONTRAST = """() => {
  const parse = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => v / 255)
    .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = el => {
    for (let p = el; p; p = p.parentElement) {
      const c = parse(getComputedStyle(p).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.9)) return c.slice(0, 3);
    }
    return parse(getComputedStyle(document.documentElement).backgroundColor).slice(0, 3);
  };
  const bad = [];
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const r = el.getBoundingClientRect();
    if (!own || !r.width || el.closest('[hidden], .visually-hidden, svg, math')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || Number(style.opacity) < 0.5) continue;
    const fg = parse(style.color), bg = background(el);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < need) bad.push(`${el.tagName}.${el.className} ${ratio.toFixed(2)}`);
  }
  return bad;
}"""


@pytest.fixture(scope="module")
def base_url(shipped_url: str) -> str:
    """The shipped site, built once per session."""
    return shipped_url


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("kind", list(PAGES))
def test_page_passes_width_target_contrast_and_console_checks(
    browser: Browser, base_url: str, kind: str, size: str, scheme: str
) -> None:
    width, height = SIZES[size]
    context = browser.new_context(
        viewport={"width": width, "height": height},
        color_scheme=scheme,  # type: ignore[arg-type]
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console {msg.type}: {msg.text}")
            if msg.type in ("error", "warning")
            else None
        ),
    )
    page.goto(base_url + PAGES[kind])
    page.wait_for_load_state("networkidle")
    assert page.evaluate(OVERFLOW) == []
    assert page.evaluate(SMALL_TARGETS) == []
    assert page.evaluate(LOW_CONTRAST) == []
    context.close()
    assert problems == []
