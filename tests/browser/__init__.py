"""The default theme in a real browser: the example site built with the CLI, served on loopback and
driven in the system's headless Chromium with Playwright; the Nu Html Checker and axe-core on every
page. What these tests need beyond the test extra is installed by tools/ci-setup.sh."""
