"""The Dagster web UI in headless Chromium from Debian's packages (`chromium`, `chromium-driver`,
installed by .ci/install-chromium.sh), driven with selenium through the UI's own buttons.
Shared by tests/test_browser.py and tests/screenshots.py."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote, urlparse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

# A loaded 2-core machine: the first page of a fresh `dagster dev` can take minutes to answer.
WAIT_SECONDS = 300
# What the UI writes when a code location or a query fails (its banners and error states).
ERROR_TEXTS = ("failed to load", "Error loading", "error occurred")
FINISHED_RUN_STATUSES = ("SUCCESS", "FAILURE", "CANCELED")


def chromium_missing() -> str | None:
    """Why the browser cannot start here, or None."""
    missing = [name for name in ("chromium", "chromedriver") if shutil.which(name) is None]
    return f"{' and '.join(missing)} not installed (.ci/install-chromium.sh)" if missing else None


@contextmanager
def chromium(width: int = 1400, height: int = 900) -> Iterator[WebDriver]:
    """Headless system Chromium with a `width` x `height` CSS-pixel viewport."""
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        driver.set_page_load_timeout(WAIT_SECONDS)
        yield driver
    finally:
        driver.quit()


def _text_is(text: str) -> str:
    return f"normalize-space()='{text}'"


def launched_run_prefix(toast: str) -> str:
    """The run id prefix a "Launched run 1a2b3c4d" toast names."""
    match = re.fullmatch(r"Launched run (\w+)", toast.strip())
    assert match, f"not a launched run: {toast!r}"
    return match.group(1)


class DagsterUi:
    """The pages and buttons of the Dagster UI a user goes through, with explicit waits."""

    def __init__(self, driver: WebDriver, url: str):
        self.driver = driver
        self.url = url

    def wait(self, condition, what: str, timeout: float = WAIT_SECONDS):
        """Wait until `condition(driver)` is truthy; return its value."""
        return WebDriverWait(self.driver, timeout, poll_frequency=1).until(condition, message=f"waiting for {what}")

    def visible(self, xpath: str, what: str, timeout: float = WAIT_SECONDS) -> WebElement:
        """The first displayed element matching `xpath`, once there is one."""

        def shown(driver: WebDriver):
            return next((element for element in driver.find_elements(By.XPATH, xpath) if element.is_displayed()), None)

        return self.wait(shown, what, timeout)

    def click(self, xpath: str, what: str) -> None:
        self.visible(xpath, what).click()

    def open(self, path: str) -> None:
        self.driver.get(self.url + path)

    def page_text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "body").text

    def error_texts(self) -> list[str]:
        """The error banners and states on the page now."""
        text = self.page_text()
        return [line for line in text.splitlines() if any(error in line for error in ERROR_TEXTS)]

    def dismiss_first_run_dialog(self) -> None:
        """Skip the community dialog a fresh browser profile gets on its first page."""
        self.click(f"//div[contains(@class,'bp5-dialog')]//button[{_text_is('Skip')}]", "the first-run dialog")
        self.wait(lambda driver: not driver.find_elements(By.CSS_SELECTOR, ".bp5-dialog"), "the dialog to close")

    def catalog_asset_keys(self, expected: set[tuple[str, ...]]) -> set[tuple[str, ...]]:
        """Open the asset catalog; the asset keys it lists once it lists `expected` (or the timeout)."""
        self.open("/assets")

        def listed(driver: WebDriver) -> set[tuple[str, ...]] | None:
            keys = set()
            for link in driver.find_elements(By.CSS_SELECTOR, "a[href*='/assets/']"):
                path = unquote(urlparse(link.get_attribute("href")).path)
                keys.add(tuple(path.removeprefix("/assets/").strip("/").split("/")))
            return keys if expected <= keys else None

        return self.wait(listed, f"the catalog to list {sorted(expected)}")

    def open_partitions(self, asset_path: str) -> None:
        """The asset's Partitions tab, once it shows its partitions."""
        self.open(f"/assets/{asset_path}")
        self.click(f"//a[{_text_is('Partitions')}] | //button[{_text_is('Partitions')}]", "the Partitions tab")
        self.visible("//*[contains(normalize-space(), 'Partitions Selected')]", "the partition grid")

    def open_materialize_dialog(self) -> WebElement:
        self.click("//button[starts-with(normalize-space(), 'Materialize')]", "the Materialize button")
        return self.visible("//div[contains(@class,'bp5-dialog')]", "the launch dialog")

    def select_partitions(self, dates: str, source: str | None) -> None:
        """In the open launch dialog: type the dump dates (`D` or `[D1...D2]`), pick one source
        from the source_db list (None: all sources)."""
        dialog = "//div[contains(@class,'bp5-dialog')]"
        date_input = self.visible(f"{dialog}//input[starts-with(@placeholder,'ex:')]", "the dump date input")
        date_input.send_keys(dates, Keys.ENTER)
        if source is None:
            self.click(f"({dialog}//button[{_text_is('All')}])[last()]", "all sources")
            return
        self.click(f"{dialog}//*[text()='Select a partition or create one']", "the source list")
        item = f"//*[@role='menuitem'][.//*[text()='{source}']]"
        self.click(item, f"source {source}")
        date_input.click()  # closes the source list, which fades out
        self.wait(lambda driver: not driver.find_elements(By.XPATH, item), "the source list to close")

    def launch(self, button_text: str) -> str:
        """Press the dialog's launch button; the UI's toast ("Launched run 1a2b3c4d")."""
        self.click(
            f"//div[contains(@class,'bp5-dialog')]//button[starts-with(normalize-space(), '{button_text}')]",
            button_text,
        )
        return self.visible("//*[contains(@class,'Toaster_toastMessage')]", "the launch toast", timeout=120).text

    def open_run_from_runs_page(self, run_id_prefix: str) -> None:
        """Runs page -> the run's link, as a user finds it."""
        self.open("/runs")
        self.click(f"//a[contains(@href,'/runs/{run_id_prefix}') and {_text_is(run_id_prefix)}]", "the run's link")

    def wait_for_run_to_finish(self, timeout: float = 1800) -> str:
        """On a run page: the status in its title once the run finished (SUCCESS, FAILURE, CANCELED)."""

        def finished(driver: WebDriver) -> str | None:
            match = re.search(r"\[([A-Z_]+)\]", driver.title)
            return match.group(1) if match and match.group(1) in FINISHED_RUN_STATUSES else None

        return self.wait(finished, "the run to finish", timeout)
