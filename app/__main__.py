import sys

from app.startup.launcher import main

sys.exit(main())
