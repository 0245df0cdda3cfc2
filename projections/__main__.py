"""`python -m projections worker -l info`: run a Faust worker with settings from the environment.

Faust's CLI starts its web server on port 6066 unless told otherwise, which collides as soon as
two workers share a machine; our workers serve no web pages, so `--without-web` is the default
here (pass `--with-web` to get it back).
"""

import sys

from projections.app import create_app
from verifier.settings import Settings

if len(sys.argv) > 1 and sys.argv[1] == "worker" and not any("-web" in a for a in sys.argv):
    sys.argv.append("--without-web")
create_app(Settings.from_env()).main()
