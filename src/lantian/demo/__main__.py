"""``python -m lantian.demo``: are the reference data the tests read there? One line; exit 1 if not."""

from __future__ import annotations

import sys

from lantian.demo import TEST_FILES, missing_files
from lantian.settings import settings


def main() -> int:
    missing = missing_files()
    folder = settings().reference_folder
    if missing:
        print(
            f"reference data missing in {folder or '(no LANTIAN_REFERENCE_DATA, no ../shared/reference)'}:"
            f" {', '.join(missing)} — set LANTIAN_REFERENCE_DATA to the folder holding cnemc/ and met/",
            file=sys.stderr,
        )
        return 1
    print(f"reference data: {len(TEST_FILES)} files in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
