"""``python -m lantian`` runs the ``lantian`` command."""

from lantian.cli import app

app(prog_name="lantian")
