"""Alarm rules as data (报警规则): the rule file, whole-column evaluation, batch and incremental scans."""
