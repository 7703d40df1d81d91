"""Fixtures of the dashboard tests: the published demo home with its site built, and Chromium."""
from __future__ import annotations

import os
from pathlib import Path
from unittest import mock

import pytest

from tests.dashboard.pages import CHROMEDRIVER, CHROMIUM, build_site, published_home


@pytest.fixture(scope="session")
def home(tmp_path_factory) -> Path:
    home = published_home(tmp_path_factory.getbasetemp())
    build_site(home)
    return home


@pytest.fixture(scope="session")
def browser():
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium and chromium-driver (.ci/run does)")
        pytest.skip("Debian chromium / chromium-driver not installed: apt-get install chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--hide-scrollbars", "--force-device-scale-factor=1"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    with mock.patch.dict(os.environ, {"SE_OFFLINE": "true"}):  # Selenium Manager never downloads anything
        driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=opts)
    try:
        yield driver
    finally:
        driver.quit()
