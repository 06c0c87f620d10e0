"""Lantian (蓝天): software with which a Chinese city or district runs its air-quality attainment plan."""

__version__ = "0.1.0"
