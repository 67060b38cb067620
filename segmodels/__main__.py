"""`python -m segmodels CMD ...`: the command line without the GUI (and without Qt)."""
import sys

from segmodels.cli import main

if __name__ == "__main__":
    sys.exit(main())
