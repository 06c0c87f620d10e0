"""Documents from the assessment: the monthly report (HTML, and PDF through headless Chromium)."""
