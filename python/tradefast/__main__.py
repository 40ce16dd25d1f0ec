import sys

from tradefast.cli import main

sys.exit(main())
