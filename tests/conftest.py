"""Shared fixtures: small sites in temp folders, built from the repo's shipped content."""

from __future__ import annotations

import atexit
import fcntl
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

REPO = Path(__file__).resolve().parent.parent


def makes_per_take(
    monkeypatch: pytest.MonkeyPatch, consumer: tuple[Any, str], maker: tuple[Any, str]
) -> list[int]:
    """Patch consumer (owner, name) to be handed its items one at a time, and note how many
    calls of maker (owner, name) each item took since the one before: 1 for each item made
    as it is taken; 0 for each once a list of them all was made first."""
    made, per_take = [0], []
    real_maker, real_consumer = getattr(*maker), getattr(*consumer)

    def counting(*args: Any, **kwargs: Any) -> Any:
        made[0] += 1
        return real_maker(*args, **kwargs)

    def handed(items: Any) -> Iterator[Any]:
        for item in items:
            per_take.append(made[0])
            made[0] = 0
            yield item

    def taking(items: Any, *args: Any) -> Any:
        made[0] = 0  # what was made before the consumer started does not count
        return real_consumer(handed(items), *args)

    monkeypatch.setattr(*maker, counting)
    monkeypatch.setattr(*consumer, taking)
    return per_take


def session_folder(variable: str, prefix: str) -> None:
    """Point `variable` at a temporary folder of this test session's, removed at its end
    (by the process that made it: xdist's workers inherit the controller's)."""
    if variable not in os.environ:
        folder = os.environ[variable] = tempfile.mkdtemp(prefix=prefix)
        atexit.register(shutil.rmtree, folder, ignore_errors=True)


# Compiled templates go to a folder of this session's, not the user's cache (sitegen.render);
session_folder("SITEGEN_TEMPLATE_CACHE", "sitegen-templates-")
# So do the models CLI builds keep (sitegen.snapshot).
session_folder("SITEGEN_MODEL_CACHE", "sitegen-models-")
SHIPPED = REPO / "content"
NODE = shutil.which("node") or "/usr/bin/node"
LUNR_JS = REPO / "node_modules" / "lunr" / "lunr.js"


@pytest.fixture(autouse=True)
def wall_file_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with file times judged by the wall clock (noop.file_clock_ns), as a
    library caller's are: a CLI command run in-process switches to the kernel's for its files."""
    import sitegen.noop

    monkeypatch.setattr(sitegen.noop, "KERNEL_CLOCK", False)
    sitegen.noop.mounts.cache_clear()  # a test may have read a mount table of its own


def copy_shipped_content(root: Path) -> Path:
    """Copy the shipped dumps, themes.yaml and site.yaml (no pages) into root/content."""
    content = root / "content"
    shutil.copytree(SHIPPED / "dumps", content / "dumps")
    for name in ("themes.yaml", "site.yaml"):
        shutil.copy(SHIPPED / name, content / name)
    return root


@pytest.fixture
def shipped_site(tmp_path: Path) -> Path:
    """A fresh site directory holding the shipped content, not yet ingested."""
    return copy_shipped_content(tmp_path / "site-root")


def made_once(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], Path]) -> Path:
    """make(folder) once per test session, even when pytest-xdist runs it in several
    processes: they share the first one's result (read only) instead of each making it."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return make(factory.mktemp(name))
    shared = factory.getbasetemp().parent  # the same for every worker of this session
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / f"{name}.done"
        if done.exists():
            return Path(done.read_text())
        folder = shared / name
        folder.mkdir()
        made = make(folder)
        done.write_text(str(made))
        return made


@pytest.fixture(scope="session")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sitegen built as a wheel and installed in a fresh venv; returns the wheel (in venv/)."""
    return made_once(tmp_path_factory, "wheel", install_wheel)


def install_wheel(folder: Path) -> Path:
    """Build sitegen's wheel into folder/venv and install it in a fresh venv there."""
    import venv

    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", folder / "venv", REPO],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    wheel = next((folder / "venv").glob("sitegen-*.whl"))
    venv.create(folder / "venv", with_pip=True)
    # A clean venv, as a user's: its dependencies come from pip (its cache, usually).
    # pip byte-compiles every file it installs (~7 s, scipy's thousands): instead, the
    # modules sitegen's commands import are compiled by importing them once.
    python = folder / "venv" / "bin" / "python"
    install = subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-compile", wheel],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    imports = "import sitegen.cli, sitegen.build, sitegen.discover, sitegen.deploy"
    subprocess.run([python, "-c", imports], env=env, check=True, timeout=120)
    return wheel


@pytest.fixture
def repo_root() -> Path:
    """The repository's top folder."""
    return REPO


# Debian's Chromium, headless, with nothing that phones home (no network here).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """Playwright, started once: a process may run one (its sync API runs an event loop)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as started:
        yield started


def launch_chromium(playwright: Playwright, **options: object) -> Browser:
    """Debian's headless Chromium, with CHROMIUM_ARGS (and Playwright's launch options)."""
    return playwright.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=CHROMIUM_ARGS,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """One headless Chromium for the whole test session."""
    chromium = launch_chromium(playwright)
    yield chromium
    chromium.close()


def run_sitegen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `python -m sitegen ARGS` in cwd, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "sitegen", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def loaded_before_and_after(module: str, first: str, then: str) -> tuple[bool, bool]:
    """Whether `module` is imported once `first` ran, and once `then` ran after it, in a
    fresh Python (what a command's start imports, and what the work it does adds)."""
    code = f"import sys\n{first}\nbefore = {module!r} in sys.modules\n{then}\n"
    code += f"print(before, {module!r} in sys.modules)\n"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after = run.stdout.split()
    return before == "True", after == "True"


def run_node(code: str, data: object) -> object:
    """Run a node script with the repo's lunr and search engine loaded; JSON in and out."""
    prelude = f"""
        const fs = require("fs"), path = require("path"), vm = require("vm");
        const lunr = require({json.dumps(str(LUNR_JS.parent))});
        const engine = require({json.dumps(str(REPO / "static" / "search-engine.js"))})(lunr);
        const input = JSON.parse(fs.readFileSync(0, "utf8"));
        const print = (value) => process.stdout.write(JSON.stringify(value));
    """
    return node_json(["-e", prelude + code], data)


def node_json(args: list[str], data: object, timeout: float = 120) -> Any:
    """Run node with args, data as JSON on its stdin; what it prints, read as JSON."""
    done = subprocess.run(
        [NODE, *args],
        input=json.dumps(data),
        capture_output=True,
        text=True,
        check=True,
        timeout=timeout,
    )
    return json.loads(done.stdout)


def wait_until(condition: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    """Poll condition until it holds; fail the test naming `what` when the deadline passes."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout:g}s waiting for {what}")
        time.sleep(0.02)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root/content, by relative path."""
    content = root / "content"
    return {
        p.relative_to(content).as_posix(): p.read_bytes()
        for p in sorted(content.rglob("*"))
        if p.is_file()
    }


class PrefixHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder under a URL prefix only, as GitHub Pages serves a project site."""

    prefix = "/"

    def translate_path(self, path: str) -> str:
        """Map /prefix/... into the folder; anything else to a missing file."""
        path = urlsplit(path).path
        if not path.startswith(self.prefix):
            return str(Path(self.directory) / "__outside_prefix__")
        return super().translate_path("/" + path[len(self.prefix) :])

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Stay quiet."""


class QuietServer(http.server.ThreadingHTTPServer):
    """A test's static server: a page closed while a file was on its way is not an error
    (the standard server prints its traceback)."""

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def serve_static(folder: Path, prefix: str = "/") -> Iterator[str]:
    """Serve folder with http.server on 127.0.0.1 under prefix; yield the base URL."""
    handler_class = type("Handler", (PrefixHandler,), {"prefix": prefix})
    handler = functools.partial(handler_class, directory=str(folder))
    server = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def open_page(browser: Browser, **options: object) -> Iterator[Page]:
    """A page in a fresh browser context (viewport, colour scheme…); fails on page errors."""
    context = browser.new_context(**options)  # type: ignore[arg-type]
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == []


def wait_for_full_index(page: Page) -> None:
    """Wait until the background full-text index has loaded."""
    page.wait_for_function("document.documentElement.dataset.searchIndex === 'full'")


def wait_for_full_results(page: Page) -> None:
    """Wait until the results page shows the full index's results (not the titles')."""
    wait_for_full_index(page)
    page.wait_for_function(
        "!document.querySelector('.sg-results').classList.contains('sg-provisional')"
        " && !document.querySelector('.sg-status').textContent.startsWith('Searching')"
    )


@pytest.fixture(scope="session")
def cached_browser(playwright: Playwright) -> Iterator[Browser]:
    """Chromium with its back/forward cache on (Playwright turns it off by default): Back
    to a page kept whole fires no load event (go_back(wait_until="commit"))."""
    chromium = launch_chromium(playwright, ignore_default_args=["--disable-back-forward-cache"])
    yield chromium
    chromium.close()


KEPT_WHOLE = "window.sitegenKept === true"  # a mark set before leaving: still there after Back
KEPT_WAIT = 5_000  # ms: a page kept whole is back at once (one loaded again never has the mark)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser page that fails the test on any uncaught page error."""
    with open_page(browser) as fresh:
        yield fresh


@pytest.fixture(scope="session")
def shipped_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped corpus ingested and built once per session: its site/ (read it, never write)."""
    return made_once(tmp_path_factory, "shipped-build", build_shipped)


def build_shipped(folder: Path) -> Path:
    """Ingest and build the shipped corpus in folder; its site/."""
    from sitegen.build import BuildOptions, build
    from sitegen.ingest import ingest

    root = copy_shipped_content(folder)
    assert not ingest(root).errors
    build(root, BuildOptions(root / "site"))
    return root / "site"


@pytest.fixture(scope="session")
def shipped_url(shipped_build: Path) -> Iterator[str]:
    """shipped_build served by http.server on 127.0.0.1."""
    with serve_static(shipped_build) as url:
        yield url
