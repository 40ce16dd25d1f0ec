import sys

from tradefast.integration.main import main

sys.exit(main())
