"""Fixtures for the integration tests: real servers, one module of tests/integration/servers each.

This directory goes on sys.path so that the `servers` package imports as a top-level package with any
pytest import mode. Every fixture defined in a module of that package is registered here, so adding a
server means adding a module there and nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


def _is_fixture(obj):
    # pytest 8.4+ wraps fixture functions in FixtureFunctionDefinition; older ones mark the function.
    return hasattr(obj, "_fixture_function_marker") or hasattr(obj, "_pytestfixturefunction")


def _server_fixtures():
    found = {}
    for info in pkgutil.iter_modules([str(HERE / "servers")]):
        module = importlib.import_module("servers.%s" % info.name)
        for name, obj in vars(module).items():
            if not _is_fixture(obj) or getattr(obj, "__module__", module.__name__) != module.__name__:
                continue
            if name in found and found[name] is not obj:
                raise RuntimeError("fixture %s is defined in two server modules" % name)
            found[name] = obj
    return found


globals().update(_server_fixtures())
