"""`python -m projections worker -l info`: run a Faust worker with settings from the environment."""

from projections.app import create_app
from verifier.settings import Settings

create_app(Settings.from_env()).main()
