"""Quality control: flags over hourly measurements, stored beside the values, never replacing them.

Rules are rows of ``qc_rules.csv`` (rule, bit, pollutant — its own row before the ``*`` row —,
threshold, whether the flag invalidates the value, reasons in Chinese and English, the floor below
which a rule does not look, source). ``flag`` is a bit mask of the rules that fired; ``valid`` is
False when any invalidating rule fired. HJ 663 statistics use valid values only; the
other flags are warnings for the audit.
"""

from lantian.qc.rules import QC_RULES, describe_flags, invalidating_mask, quality_flags

__all__ = ["QC_RULES", "describe_flags", "invalidating_mask", "quality_flags"]
