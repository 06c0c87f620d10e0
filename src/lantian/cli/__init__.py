"""The ``lantian`` command line: parse, call a service, print. Nothing imports it."""

from lantian.cli.main import app

__all__ = ["app"]
