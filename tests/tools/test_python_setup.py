"""`make setup`'s choice of controller Python (tools/find-python.sh) and the cache of CPython built from
Debian's source package (tools/build-python.sh).

The build itself takes minutes and needs Debian's mirror, so it is measured by `make setup` on a machine
without Python 3.12 (README figures); these tests cover every decision around it with a fake cache whose
interpreter is a link to the Python running the tests.
"""

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
FIND = REPO / "tools" / "find-python.sh"
BUILD = REPO / "tools" / "build-python.sh"


def fake_build(cache, version, *, stamp=True, interpreter=sys.executable):
    """A cached build under cache: bin/python3.13 links to `interpreter`, the stamp names the build."""
    prefix = cache / ("cpython-%s" % version)
    (prefix / "bin").mkdir(parents=True)
    (prefix / "bin" / "python3.13").symlink_to(interpreter)
    if stamp is True:
        stamp = prefix.name
    if stamp:
        (prefix / ".ome-k8s-complete").write_text(stamp + "\n")
    return prefix


@pytest.fixture
def bare_path(tmp_path):
    """A PATH with the tools the scripts use but no Python at all, and a HOME without pyenv."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("bash", "find", "sort", "cat", "basename", "dirname", "tail", "mkdir", "rm", "env"):
        (bindir / tool).symlink_to(shutil.which(tool))
    return {"PATH": str(bindir), "HOME": str(tmp_path / "home"), "PYENV_ROOT": str(tmp_path / "no-pyenv")}


def run(script, *args, env):
    return subprocess.run(
        ["/bin/bash", str(script), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_find_python_uses_the_site_interpreter_given(bare_path):
    result = run(FIND, env={**bare_path, "OME_K8S_PYTHON": sys.executable})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == sys.executable


def test_find_python_refuses_a_site_interpreter_that_is_too_old(tmp_path, bare_path):
    old = tmp_path / "python3.11"
    old.write_text("#!/bin/bash\nexit 1\n")
    old.chmod(0o755)
    result = run(FIND, env={**bare_path, "OME_K8S_PYTHON": str(old)})
    assert result.returncode == 1
    assert "OME_K8S_PYTHON=%s is not a Python >= 3.12" % old in result.stderr


def test_find_python_without_any_python_reuses_the_cached_build(tmp_path, bare_path):
    cache = tmp_path / "cache"
    prefix = fake_build(cache, "3.13.5")
    result = run(FIND, env={**bare_path, "OME_K8S_PYTHON_CACHE": str(cache)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(prefix / "bin" / "python3.13")
    assert "reusing" in result.stderr


def test_check_reports_no_build_in_an_empty_cache(tmp_path, bare_path):
    result = run(BUILD, "--check", env={**bare_path, "OME_K8S_PYTHON_CACHE": str(tmp_path / "cache")})
    assert result.returncode == 1
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("case", "build"),
    [
        ("interrupted before the stamp", {"stamp": None}),
        ("stamp of another build", {"stamp": "cpython-3.13.4"}),
        ("interpreter that fails", {"interpreter": "/bin/false"}),
        ("interpreter deleted", {"interpreter": "/nonexistent/python3.13"}),
    ],
)
def test_check_never_accepts_an_incomplete_build(tmp_path, bare_path, case, build):
    cache = tmp_path / "cache"
    fake_build(cache, "3.13.5", **build)
    result = run(BUILD, "--check", env={**bare_path, "OME_K8S_PYTHON_CACHE": str(cache)})
    assert result.returncode == 1, case
    assert result.stdout == ""


def test_an_incomplete_build_is_removed_and_the_complete_one_used(tmp_path, bare_path):
    cache = tmp_path / "cache"
    good = fake_build(cache, "3.13.5")
    partial = fake_build(cache, "3.13.9", stamp=None)
    result = run(BUILD, env={**bare_path, "OME_K8S_PYTHON_CACHE": str(cache)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(good / "bin" / "python3.13")
    assert not partial.exists()
    assert "removing the incomplete build %s" % partial in result.stderr


def test_the_newest_complete_build_wins(tmp_path, bare_path):
    cache = tmp_path / "cache"
    fake_build(cache, "3.13.5")
    newer = fake_build(cache, "3.13.10")
    result = run(BUILD, "--check", env={**bare_path, "OME_K8S_PYTHON_CACHE": str(cache)})
    assert result.returncode == 0
    assert result.stdout.strip() == str(newer / "bin" / "python3.13")


@pytest.mark.skipif(shutil.which("apt-get") is None, reason="needs a Debian host")
def test_a_source_that_cannot_be_had_fails_saying_what_to_install(tmp_path):
    cache = tmp_path / "cache"
    env = {**os.environ, "OME_K8S_PYTHON_CACHE": str(cache), "OME_K8S_PYTHON_SOURCE_SUITE": "no-such-suite"}
    result = run(BUILD, env=env)
    assert result.returncode == 1
    assert "apt could not read no-such-suite's source index" in result.stderr
    assert "apt-get install python3.13 python3.13-venv" in result.stderr
    assert "OME_K8S_PYTHON=" in result.stderr
    assert not cache.exists() or not any(cache.iterdir())
