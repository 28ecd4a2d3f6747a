"""Entry point of the bundled build (PyInstaller): the same `main` as the
`drg-workstation` command."""

import sys

from ui.app import main

if __name__ == "__main__":
    sys.exit(main())
