"""The dashboard in a real browser: Debian's chromium, driven through chromedriver.

One ``revloop dashboard`` server per module on a free port, on the published build of the
small sample (``published`` in conftest.py). For every page: open it, wait until the
script finished and every chart drew, find no exception, error box or traceback text, and
save a screenshot (the folder is printed at the end: the CI artefact). Then one filter
(segment, in the sidebar) and the attribution model selector are changed like a user does,
and the page must redraw with the new choice.

The browser comes only from apt (``make browser``, which ``make test`` runs first); when
it is missing this test FAILS with what to install, it never skips.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

REVLOOP = str(Path(sys.executable).with_name("revloop"))

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
# every page the app serves (url path, a title it shows, the least number of charts); the
# default page (funnel) lives at the root
PAGES = [
    ("", "Funnel", 4),
    ("speed-to-lead", "Speed to lead", 3),
    ("attribution", "Attribution", 5),
    ("spend", "Spend & ROAS", 3),
    ("velocity", "Pipeline velocity", 3),
    ("ltv", "LTV, retention and churn risk", 4),
    ("data-health", "Data health", 4),
    ("definitions", "Definitions", 0),
]
ERROR_TEXT = (
    "Traceback",
    "Exception",
    "StreamlitAPIException",
    "Error:",
    "KeyError",
    "Page not found",
    "no published snapshot",
)
TIMEOUT = 90


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, deadline: float) -> None:
    """Poll Streamlit's health endpoint until it answers (or the server died)."""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"revloop dashboard exited with {proc.returncode}")
        try:
            if requests.get(f"{url}/_stcore/health", timeout=2).text.strip() == "ok":
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"revloop dashboard not healthy at {url} within {TIMEOUT} s")


@pytest.fixture(scope="module")
def server(published: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log = tmp_path_factory.mktemp("dashboard_server") / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [REVLOOP, "dashboard", "--port", str(port)],
            env=published["env"],
            cwd=published["root"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, time.monotonic() + TIMEOUT)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    text = log.read_text()
    assert "Traceback" not in text, text[-4000:]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail(
            f"the dashboard browser test needs Debian's chromium and chromium-driver; missing "
            f"{', '.join(missing)}: run `make browser` (apt-get install -y chromium "
            "chromium-driver)",
            pytrace=False,
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1500,2400",
        "--lang=en-US",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _settled(driver) -> bool:
    """The script run finished (no running indicator) and every chart drew its marks."""
    from selenium.webdriver.common.by import By

    # the status widget exists only while the script runs; skeletons until elements arrive
    if driver.find_elements(
        By.CSS_SELECTOR, '[data-testid="stStatusWidget"], [data-testid="stSkeleton"]'
    ):
        return False
    if not driver.find_elements(By.CSS_SELECTOR, '[data-testid="stMain"] h1'):
        return False
    charts = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stVegaLiteChart"]')
    drawn = [c for c in charts if c.find_elements(By.CSS_SELECTOR, "canvas, svg.marks")]
    return len(drawn) == len(charts)


def _wait(driver, condition, what: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, TIMEOUT, poll_frequency=0.25).until(lambda d: condition(d), message=what)


def _assert_no_errors(driver, page: str) -> None:
    from selenium.webdriver.common.by import By

    boxes = driver.find_elements(
        By.CSS_SELECTOR,
        '[data-testid="stException"], [data-testid="stAlertContentError"], '
        '[data-testid="stDialog"]',
    )
    assert not boxes, f"{page}: " + " | ".join(b.text for b in boxes)
    text = driver.find_element(By.TAG_NAME, "body").text
    found = [t for t in ERROR_TEXT if t in text]
    assert not found, f"{page}: error text {found} on the page:\n{text[:3000]}"


def _chart_count(driver) -> int:
    from selenium.webdriver.common.by import By

    return len(driver.find_elements(By.CSS_SELECTOR, '[data-testid="stVegaLiteChart"]'))


def _open(driver, url: str) -> None:
    driver.get(url)
    _wait(driver, _settled, f"{url}: the page did not finish drawing in {TIMEOUT} s")


def _choose(driver, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label``, as a user does: open its list,
    click the option."""
    from selenium.webdriver.common.by import By

    combos = driver.find_elements(By.CSS_SELECTOR, f'[role="combobox"][aria-label="{label}"]')
    assert combos, f"no selectbox labelled {label!r}"
    combos[0].click()
    _wait(
        driver,
        lambda d: d.find_elements(By.CSS_SELECTOR, '[role="option"]'),
        f"the options of {label!r} did not open",
    )
    options = [
        o
        for o in driver.find_elements(By.CSS_SELECTOR, '[role="option"]')
        if o.text.strip() == option
    ]
    assert options, f"{label!r} has no option {option!r}"
    options[0].click()


def test_every_page_draws_its_charts_without_errors(server: str, browser, screenshots: Path):
    """Each page (the app's own navigation urls) finishes, draws at least its charts and
    shows no exception; one screenshot per page."""
    from selenium.webdriver.common.by import By

    for path, title, least_charts in PAGES:
        _open(browser, f"{server}/{path}")
        heading = browser.find_element(By.CSS_SELECTOR, '[data-testid="stMain"] h1').text
        assert title in heading, (path, heading)
        _assert_no_errors(browser, path)
        assert _chart_count(browser) >= least_charts, (path, _chart_count(browser))
        browser.save_screenshot(str(screenshots / f"{path or 'funnel'}.png"))
    assert len(list(screenshots.glob("*.png"))) == len(PAGES)


def test_segment_filter_and_model_selector_redraw_the_attribution_page(
    server: str, browser, screenshots: Path
):
    """Segment = Enterprise (sidebar) then model = linear: the page says which filter it
    uses, the channel chart's heading names the new model, and nothing breaks."""
    from selenium.webdriver.common.by import By

    _open(browser, f"{server}/attribution")
    _choose(browser, "Segment", "Enterprise")
    _wait(
        browser,
        lambda d: (
            "segment = Enterprise" in d.find_element(By.TAG_NAME, "body").text and _settled(d)
        ),
        "the segment filter did not apply",
    )
    _assert_no_errors(browser, "attribution, segment Enterprise")
    _choose(browser, "Attribution model", "linear")
    _wait(
        browser,
        lambda d: "By channel · linear" in d.find_element(By.TAG_NAME, "body").text and _settled(d),
        "the model selector did not redraw the channel chart",
    )
    _assert_no_errors(browser, "attribution, model linear")
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "segment = Enterprise" in body  # the filter survives the model change
    browser.save_screenshot(str(screenshots / "attribution-enterprise-linear.png"))
