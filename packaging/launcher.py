"""The frozen app's entry script (PyInstaller needs a file; everything else lives in app/)."""

import sys

from app.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
