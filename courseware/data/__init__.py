"""Reference data shipped with the app (municipalities, industry sections), read once per process."""
import json
from functools import cache
from importlib import resources


@cache
def load(name: str) -> dict:
    """The parsed JSON file `courseware/data/<name>.json`; cached, so callers must not mutate it."""
    with resources.files(__package__).joinpath(f"{name}.json").open(encoding="utf-8") as fh:
        return json.load(fh)
