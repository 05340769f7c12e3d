"""Open a rendered report in headless Chromium, take a screenshot and list what is wrong.

Problems found (each a Japanese sentence): console errors and page errors, any request that
is not ``file:``/``data:``/``about:``, images that did not load (naturalWidth 0), visible code
cells or Python code in ``<pre>``, characters not covered by the embedded font (tofu), and an
embedded font that the browser did not load.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from kogadx.progress import steps
from kogadx.reporting.fonts import FONT_FAMILY, embedded_font_codepoints

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
CODE_SELECTORS = (".jp-InputArea, .input_area, .jp-InputPrompt, .input_prompt, .prompt, .highlight, "
                  ".jp-CodeMirrorEditor, .CodeMirror, .cm-editor")
_LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")

_PAGE_PROBE = ("""async (family) => {
  await document.fonts.ready;
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const images = Array.from(document.images).map((img) => ({
    src: img.getAttribute('src') ? img.getAttribute('src').slice(0, 80) : '',
    alt: img.alt, ok: img.complete && img.naturalWidth > 0}));
  const codeCells = Array.from(document.querySelectorAll(__CODE_SELECTORS__)).filter(visible)
    .map((el) => el.className + ': ' + el.innerText.slice(0, 80));
  const codeLike = /^\\s*(import\\s+\\w|from\\s+[\\w.]+\\s+import|def\\s+\\w+\\s*\\(|class\\s+\\w+|"""
               """print\\(|display\\(|[A-Za-z_]\\w*\\s*=\\s*\\S)/m;
  const pres = Array.from(document.querySelectorAll('pre')).filter(visible)
    .map((el) => el.innerText).filter((t) => codeLike.test(t)).map((t) => t.slice(0, 80));
  const faces = Array.from(document.fonts).filter((f) => f.family.replace(/["']/g, '') === family);
  const text = document.body.innerText;
  const families = Array.from(document.querySelectorAll('h1, h2, p, li, td, th, figcaption'))
    .filter(visible).map((el) => getComputedStyle(el).fontFamily);
  return {images, codeCells, pres, text,
          faceStatus: faces.map((f) => f.status),
          fontCheck: document.fonts.check('16px "' + family + '"', text.slice(0, 2000)),
          familiesWithout: families.filter((f) => !f.includes(family)).slice(0, 5)};
}""").replace("__CODE_SELECTORS__", repr(CODE_SELECTORS))


@dataclass
class BrowserCheck:
    """Outcome of opening one report: problems (empty = good) and the screenshot written."""

    report: Path
    problems: list[str] = field(default_factory=list)
    screenshot: Path | None = None
    phone_screenshot: Path | None = None
    n_images: int = 0
    n_characters: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def find_chromium(preferred: str | None = None) -> str | None:
    """Path of a Chromium binary: ``preferred``, ``KOGADX_CHROMIUM``, /usr/bin/chromium, PATH."""
    for candidate in (preferred, os.environ.get("KOGADX_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def launch_chromium(playwright, chromium_path: str | None = None):
    """Launch headless Chromium (Debian's binary, not a Playwright download)."""
    path = find_chromium(chromium_path)
    if path is None:
        raise FileNotFoundError("Chromium が見つかりません (Debian: apt-get install chromium)")
    return playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)


_OVERFLOW_PROBE = """() => {
  const width = document.documentElement.clientWidth;
  const wide = Array.from(document.querySelectorAll('main *, footer *')).filter((el) => {
    const box = el.getBoundingClientRect();
    if (box.right <= width + 1) return false;
    // inside a box that scrolls on its own (a wide table), the page itself is not cut
    for (let p = el; p; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (p !== el && (style.overflowX === 'auto' || style.overflowX === 'scroll')) return false;
    }
    return true;
  }).slice(0, 5).map((el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ': '
    + (el.innerText || el.getAttribute('alt') || '').slice(0, 40));
  return {scrollWidth: document.documentElement.scrollWidth, width, wide};
}"""


def check_reports(reports: list[Path], screenshot_dir: Path | None, chromium_path: str | None = None,
                  viewport_width: int = 1200, phone_width: int | None = 390) -> list[BrowserCheck]:
    """Open each report in one headless Chromium; return one :class:`BrowserCheck` per report.

    With ``phone_width`` each report is opened a second time at that width: anything wider than
    the screen (outside a box that scrolls by itself) is a problem, and the first screen is kept
    as ``<name>_<width>px.png`` beside the desktop screenshot.
    """
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, chromium_path)
        try:
            for report in steps(reports, desc="ブラウザでの確認とスクリーンショット", unit="件"):
                shot = Path(screenshot_dir) / f"{Path(report).stem}.png" if screenshot_dir else None
                results.append(_check_one(browser, Path(report), shot, viewport_width))
                if phone_width:
                    phone_shot = (Path(screenshot_dir) / f"{Path(report).stem}_{phone_width}px.png"
                                  if screenshot_dir else None)
                    results[-1].problems.extend(_check_phone(browser, Path(report), phone_shot, phone_width))
                    results[-1].phone_screenshot = phone_shot
        finally:
            browser.close()
    return results


def _check_one(browser, report: Path, screenshot: Path | None, viewport_width: int) -> BrowserCheck:
    result = BrowserCheck(report=report)
    problems = result.problems
    html_text = report.read_text(encoding="utf-8")
    context = browser.new_context(viewport={"width": viewport_width, "height": 1600}, locale="ja-JP")
    page = context.new_page()

    def on_request(request) -> None:
        if not request.url.startswith(_LOCAL_SCHEMES):
            problems.append(f"外部への通信: {request.url[:120]}")

    def on_console(message) -> None:
        if message.type == "error":
            problems.append(f"コンソールエラー: {message.text[:200]}")

    page.on("request", on_request)
    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"ページのエラー: {str(error)[:200]}"))
    page.on("requestfailed", lambda request: problems.append(
        f"読み込み失敗: {request.url[:120]} ({request.failure})"))
    # Anything not local is refused outright, so an offline PC sees exactly this page.
    page.route(lambda url: not url.startswith(_LOCAL_SCHEMES), lambda route: route.abort())
    try:
        page.goto(report.resolve().as_uri(), wait_until="load")
        probe = page.evaluate(_PAGE_PROBE, FONT_FAMILY)
        result.n_images = len(probe["images"])
        for image in probe["images"]:
            if not image["ok"]:
                problems.append(f"表示されない画像: alt='{image['alt']}' src='{image['src'][:60]}'")
        for cell in probe["codeCells"]:
            problems.append(f"コードセルが見えています: {cell}")
        for pre in probe["pres"]:
            problems.append(f"コードらしい整形済みテキストが見えています: {pre}")
        covered = embedded_font_codepoints(html_text)
        if not covered:
            problems.append("埋め込みフォントがありません")
        visible = {c for c in probe["text"] if not c.isspace()}
        result.n_characters = len(visible)
        missing = sorted(c for c in visible if ord(c) not in covered)
        if covered and missing:
            problems.append(f"埋め込みフォントにない文字 (豆腐になります): {''.join(missing[:40])}")
        if "loaded" not in probe["faceStatus"]:
            problems.append(f"埋め込みフォントが読み込まれていません (状態: {probe['faceStatus']})")
        if not probe["fontCheck"]:
            problems.append("document.fonts.check が埋め込みフォントを確認できません")
        for family in probe["familiesWithout"]:
            problems.append(f"埋め込みフォントを使っていない要素があります: {family}")
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
            result.screenshot = screenshot
    finally:
        context.close()
    return result


def _check_phone(browser, report: Path, screenshot: Path | None, width: int) -> list[str]:
    """Problems of the page at phone width (content wider than the screen); keep the first screen."""
    context = browser.new_context(viewport={"width": width, "height": 2400}, locale="ja-JP",
                                  device_scale_factor=1)
    page = context.new_page()
    page.route(lambda url: not url.startswith(_LOCAL_SCHEMES), lambda route: route.abort())
    try:
        page.goto(report.resolve().as_uri(), wait_until="load")
        probe = page.evaluate(_OVERFLOW_PROBE)
        problems = []
        if probe["scrollWidth"] > probe["width"] + 1:
            problems.append(f"幅 {width}px の画面で横にはみ出しています (ページ幅 {probe['scrollWidth']}px): "
                            + " / ".join(probe["wide"]))
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=False)
        return problems
    finally:
        context.close()
