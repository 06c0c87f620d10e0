"""Cases (案件): one workflow from a finding to its closure, for every origin — alarms, truck
violations, public complaints (12369), inspections and patrols, and the ledger's supervision items
(issue #15; ``docs/cases.md``).

* :mod:`.workflow` — the words (origins, statuses, actions) and the status machine, pure;
* :mod:`.calendar` — working days with the national holiday calendar as data, ``deadline()``;
* :mod:`.rules` — the case rules as data (``data/case_rules.toml``): deadlines by origin, the
  responsible unit by source kind, escalation along the five steps, repeats;
* :mod:`.service` — the database edge: open, dispatch, accept, answer, return, close, escalate,
  evidence, the one table of actions (``CASE_ACTIONS``, ``perform``); and the case documents the
  CLI and the API both return;
* :mod:`.alarms` — cases from the alarms: ``open_from_alarm``, ``open_from_alarms``.

The tables (``cases``, ``case_steps``) live in the ledger's database (:mod:`lantian.plan.models`)
and are audited like the ledger.
"""
