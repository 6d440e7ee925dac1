"""The dashboard in a real browser: Debian's headless Chromium driven by Selenium through
chromedriver signs in with a token (a wrong one is refused), sees a queued destination appear
with its count, suspends it through the page's prompt and resumes it, and sees a bounce with
its classification. With RINGMAIL_SCREENSHOT=1 it saves docs/dashboard.png (1280x900)."""

import json
import os
import shutil
import smtplib
import time
import unittest
import urllib.request

from harness import Server, free_port, unreachable_route
from sink import Sink

from selenium import webdriver  # scripts/deps.sh installs selenium, chromium and chromium-driver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SCREENSHOT = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "dashboard.png")


def api(port, method, path, token, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.loads(r.read())


class Dashboard(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sink = Sink(refuse=("gone@far.test",))
        cls.http_port = free_port()
        cls.server = Server(shards=2, hostname="mx.test", sections="\n".join([
            "[http]", f'listen = ["127.0.0.1:{cls.http_port}"]',
            "[[route]]", 'domain = "far.test"', f'host = "127.0.0.1:{cls.sink.port}"',
            unreachable_route("stuck.test"),
        ]))
        cls.server.start()
        out = cls.server.cli("api-token", "add", "ops", "--scope", "admin").stdout.decode()
        cls.token = out.split()[0]
        assert cls.token.startswith("rm_"), out
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900",
                    "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions"):
            options.add_argument(arg)
        cls.browser = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        cls.browser.set_window_size(1280, 900)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.browser.quit()
        finally:
            cls.server.cleanup()
            cls.sink.close()

    def wait(self, condition, timeout=20, what="the page"):
        # The page redraws a table when its figures change: an element found a moment ago
        # may be gone, so a condition that meets a stale one is tried again.
        return WebDriverWait(self.browser, timeout, ignored_exceptions=[StaleElementReferenceException]).until(
            lambda _: condition(), message=f"waiting for {what}")

    def click(self, domain, button):
        def clicked():
            self.row(domain).find_element(By.CSS_SELECTOR, f"button.{button}").click()
            return True
        self.wait(clicked, what=f"the {button} button of {domain}")

    def row(self, domain):
        rows = self.browser.find_elements(By.CSS_SELECTOR, f'#destinations tbody tr[data-domain="{domain}"]')
        return rows[0] if rows else None

    def sign_in(self, token):
        field = self.wait(lambda: self.browser.find_element(By.ID, "token"), what="the login form")
        self.wait(field.is_displayed, what="the login form to show")
        field.clear()
        field.send_keys(token)
        self.browser.find_element(By.ID, "signin").click()

    def test_sign_in_watch_suspend_and_resume(self):
        with smtplib.SMTP("127.0.0.1", self.server.port, timeout=30) as c:
            for n in range(2):
                c.sendmail("alice@far.test", ["x@stuck.test"], f"Subject: stuck {n}\r\n\r\nwaits\r\n")
            c.sendmail("alice@far.test", ["ok@far.test"], "Subject: fine\r\n\r\nfine\r\n")
            c.sendmail("alice@far.test", ["gone@far.test"], "Subject: gone\r\n\r\nrefused\r\n")

        b = self.browser
        b.get(f"http://127.0.0.1:{self.http_port}/")
        self.assertEqual(b.title, "ringmail")

        # A wrong token: the form stays, with the server's error.
        self.sign_in("rm_" + "0" * 64)
        error = self.wait(lambda: b.find_element(By.ID, "login-error").text, what="the login error")
        self.assertIn("unknown token", error)
        self.assertFalse(b.find_element(By.ID, "app").is_displayed())

        # The right one: the queued destination appears with its two recipients, deferred.
        self.sign_in(self.token)
        self.wait(lambda: self.row("stuck.test"), what="the stuck.test row")
        self.wait(lambda: self.row("stuck.test").find_element(By.CSS_SELECTOR, "td.queued").text == "2",
                  what="two recipients queued for stuck.test")
        self.wait(lambda: self.row("stuck.test").find_element(By.CSS_SELECTOR, "td.error-text").text,
                  what="the last error")
        self.assertTrue(b.find_element(By.ID, "login").get_attribute("hidden") is not None)

        # The bounce, with its classification, and the reply shown as text, not markup.
        self.wait(lambda: "gone@far.test" in b.find_element(By.ID, "bounces").text, what="the bounce")
        bounce = self.wait(lambda: next(
            ((r.text, r.get_attribute("innerHTML")) for r in b.find_elements(By.CSS_SELECTOR, "#bounces tbody tr")
             if "gone@far.test" in r.text), None), what="the bounce's row")
        self.assertIn("bad-mailbox", bounce[0])
        self.assertIn("<gone@far.test>", bounce[0], "the reply's angle brackets are text")
        self.assertIn("&lt;gone@far.test&gt;", bounce[1], "escaped, not markup")

        # Node health and the chart's legend.
        self.wait(lambda: "Disk free" in b.find_element(By.ID, "health").text, what="node health")
        self.assertIn("Journal commit", b.find_element(By.ID, "health").text)
        self.wait(lambda: "in:" in b.find_element(By.ID, "legend").text, what="the chart legend")

        # Suspend through the page's prompt.
        self.click("stuck.test", "suspend")
        prompt = self.wait(lambda: b.switch_to.alert, what="the reason prompt")
        self.assertIn("stuck.test", prompt.text)
        prompt.send_keys("blocklisted by stuck.test")
        prompt.accept()
        self.wait(lambda: "suspended" in (self.row("stuck.test").get_attribute("class") or ""), what="the suspension")
        self.wait(lambda: "blocklisted by stuck.test" in self.row("stuck.test").text, what="the reason")
        held = api(self.http_port, "GET", "/api/v1/suspensions", self.token)
        self.assertEqual([(s["destination"], s["suspension"]["reason"]) for s in held],
                         [("stuck.test", "blocklisted by stuck.test")], "control: the API has it")

        if os.environ.get("RINGMAIL_SCREENSHOT") == "1":
            # A viewport of exactly 1280x900 (the window's size includes its frame).
            b.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                              {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
            time.sleep(2.5)  # one more poll, so the chart is drawn at that size with the latest seconds
            b.save_screenshot(SCREENSHOT)
            b.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

        # Resume: the row goes back to a Suspend button, and the API has no suspension.
        self.click("stuck.test", "resume")
        self.wait(lambda: self.row("stuck.test").find_elements(By.CSS_SELECTOR, "button.suspend")
                  and "suspended" not in (self.row("stuck.test").get_attribute("class") or ""), what="the resume")
        self.assertEqual(api(self.http_port, "GET", "/api/v1/suspensions", self.token), [])

        # Signing out forgets the token: a reload shows the form.
        b.find_element(By.ID, "logout").click()
        b.refresh()
        self.wait(lambda: b.find_element(By.ID, "login").is_displayed(), what="the login form after signing out")


if __name__ == "__main__":
    unittest.main()
