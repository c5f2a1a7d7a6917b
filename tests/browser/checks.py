"""The checks the browser tests share: the Nu Html Checker over built files, axe-core in a tab, and
keyboard navigation (press Tab through a page and compare where focus lands with what a keyboard
user should reach, in document order, each with a visible focus). Each returns its problems as
lines for a failure message, all of them rather than the first."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.browser.conftest import VNU_JAR, Visit

FOCUSED_ID = "() => document.activeElement && document.activeElement.id"


def tab_to(visit: Visit, element_id: str, what: str) -> None:
    """Press Tab from the top of the page until the element with `element_id` has the focus."""
    for _ in range(300):
        visit.page.keyboard.press("Tab")
        if visit.page.evaluate(FOCUSED_ID) == element_id:
            return
    raise AssertionError(f"Tab never reaches {what}")


def send_form_by_keyboard(visit: Visit, url: str) -> None:
    """From a form's last field: Tab past its honeypot (keyboard users never land in it) to the
    submit button, press Enter, and wait for the page at `url` (a glob)."""
    page = visit.page
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.type") == "submit"
    with page.expect_navigation(url=url):
        page.keyboard.press("Enter")


# --- The Nu Html Checker --------------------------------------------------------------------------


def vnu_problems(java: str, files: dict[Path, str]) -> list[str]:
    """HTML errors in `files` (file -> how to name it), checked in one run of the checker."""
    done = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, files)],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        messages = json.loads(done.stderr or done.stdout)["messages"]
    except (ValueError, KeyError):
        return [f"the Nu Html Checker gave no report (exit {done.returncode}):\n{done.stdout}{done.stderr}"]
    names = {file.resolve().as_posix(): name for file, name in files.items()}
    problems = []
    for message in messages:
        file = Path(message.get("url", "").removeprefix("file:")).resolve().as_posix()
        where = f"{names.get(file, file)}:{message.get('lastLine', '?')}"
        problems.append(
            f"{where}: {message.get('type')}: {message.get('message')} [{' '.join(message.get('extract', '').split())}]"
        )
    if not problems and done.returncode != 0:
        problems.append(f"the Nu Html Checker failed (exit {done.returncode}): {done.stderr}")
    return problems


# --- axe-core -------------------------------------------------------------------------------------

# axe.run() on the whole document; only violations come back, one line per element.
AXE_RUN = """async () => {
    const result = await axe.run(document, {resultTypes: ["violations"]});
    return result.violations.flatMap(v => v.nodes.map(n =>
        `${v.id} (${v.impact}): ${v.help}: ${n.target.join(" ")}: ${n.failureSummary.replace(/\\s+/g, " ")}`));
}"""


def axe_problems(visit: Visit, axe_source: str, paths: list[str]) -> list[str]:
    """axe violations of each page in `paths` (percent-encoded), opened in turn in `visit`'s tab.
    A page that redirects (an alias, by <meta http-equiv="refresh">) is checked as it is, not
    where it leads: only the navigation asked for goes through."""
    visit.page.context.add_init_script(script=axe_source)
    asked = [""]

    def only_asked_for(route) -> None:
        if route.request.is_navigation_request() and route.request.url != asked[0]:
            route.abort("aborted")
        else:
            route.fallback()

    visit.page.route("**/*", only_asked_for)
    problems = []
    for path in paths:
        asked[0] = visit.served.url(path)
        visit.page.goto(asked[0], wait_until="load")
        problems += [f"{path}: {line}" for line in visit.page.evaluate(AXE_RUN)]
    return problems


# --- Keyboard navigation --------------------------------------------------------------------------

# What a keyboard user can reach, in document order: visible, enabled and not taken out of the tab
# order. Media with controls counts once (Tab visits each of its buttons, all inside the element).
FOCUSABLE = """() => {
    const selector = 'a[href], area[href], button, input:not([type="hidden"]), select, textarea, summary,'
        + ' audio[controls], video[controls], iframe, [tabindex], [contenteditable="true"]';
    const found = [];
    for (const el of document.querySelectorAll(selector)) {
        const media = el.matches("audio[controls], video[controls]");
        if (el.disabled || el.closest("[inert]") || (!media && el.tabIndex < 0)) continue;
        if (!el.checkVisibility({visibilityProperty: true, opacityProperty: false})) continue;
        el.dataset.tabProbe = String(found.length);
        found.push(el.outerHTML.slice(0, 120));
    }
    return found;
}"""

FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el), media = el.matches("audio, video");
    const ring = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== "none";
    return {probe: el.dataset.tabProbe ?? null, html: el.outerHTML.slice(0, 120), ring: ring || media};
}"""


def tab_through(visit: Visit) -> tuple[list[str], list[str], list[str], list[str]]:
    """Press Tab until focus leaves the page or comes back round. Returns the focusable elements, the
    probes reached in order, the elements outside that list where Tab stopped, and those focused
    without a visible focus indicator."""
    expected = visit.page.evaluate(FOCUSABLE)
    reached: list[str] = []
    strays: list[str] = []
    no_ring: list[str] = []
    for _ in range(len(expected) * 4 + 10):
        visit.page.keyboard.press("Tab")
        focused = visit.page.evaluate(FOCUSED)
        if focused is None or (reached and focused["probe"] == "0" and len(set(reached)) > 1):
            break
        if focused["probe"] is None:
            strays.append(focused["html"])
            continue
        if not focused["ring"]:
            no_ring.append(focused["html"])
        if not reached or reached[-1] != focused["probe"]:  # media controls: several stops, one element
            reached.append(focused["probe"])
    return expected, reached, strays, no_ring


def tab_order_problems(visit: Visit) -> list[str]:
    """What is wrong with the page's keyboard navigation, as lines; empty when Tab reaches every
    link and control, in document order, each with a visible focus."""
    expected, reached, strays, no_ring = tab_through(visit)
    if not expected:
        return ["nothing on the page can be reached by keyboard"]
    problems = [f"Tab never reaches: {expected[i]}" for i in range(len(expected)) if str(i) not in reached]
    problems += [f"Tab stops on something that is not a link or control: {html}" for html in strays]
    if not problems and reached != [str(i) for i in range(len(expected))]:
        problems.append(f"the Tab order differs from the document order: {reached}")
    problems += [f"focus is not visible on: {html}" for html in no_ring]
    return problems
