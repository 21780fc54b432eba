"""The lock files: every package Plaza or its tests install is pinned with hashes.

`make run`, `make test` and the image install from ``requirements/*.txt`` with
``--require-hashes``; a dependency added to ``pyproject.toml`` without running
``make lock`` must fail here, with the command to run, rather than at deploy time.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
APP_LOCK = ROOT / "requirements" / "app.txt"
TEST_LOCK = ROOT / "requirements" / "test.txt"
# The platform the locks are installed on (CI, the image): Linux, CPython 3.11.
ENVIRONMENT = {**default_environment(), "python_version": "3.11", "sys_platform": "linux"}


@dataclass(frozen=True)
class Pin:
    version: Version
    hashes: tuple[str, ...]


def read_lock(path: Path) -> dict[str, Pin]:
    """The lock's pins by canonical name (a pip requirements file, one pin per entry)."""
    pins: dict[str, Pin] = {}
    entry: list[str] = []
    for line in [*path.read_text().splitlines(), ""]:
        stripped = line.split("#", 1)[0].strip()
        if entry and not line.startswith(" "):
            requirement = Requirement(entry[0].rstrip(" \\"))
            (specifier,) = requirement.specifier
            hashes = tuple(part.removeprefix("--hash=") for part in entry[1:])
            pins[canonicalize_name(requirement.name)] = Pin(Version(specifier.version), hashes)
            entry = []
        if stripped:
            entry.append(stripped.rstrip(" \\").strip())
    return pins


def declared(*extras: str) -> list[Requirement]:
    """Requirements pyproject.toml (and the bundled example kind) ask for."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    if "test" in extras:
        example = ROOT / "examples" / "plaza-store-events" / "pyproject.toml"
        lines += tomllib.loads(example.read_text())["project"]["dependencies"]
    build = (ROOT / "requirements" / "build.in").read_text().splitlines()
    lines += [line for line in build if line.strip() and not line.startswith("#")]
    return [Requirement(line) for line in lines]


@pytest.mark.parametrize(("lock", "extras"), [(APP_LOCK, ()), (TEST_LOCK, ("test",))])
def test_every_declared_dependency_is_locked_at_a_version_it_accepts(
    lock: Path, extras: tuple[str, ...]
) -> None:
    pins = read_lock(lock)
    stale = []
    for requirement in declared(*extras):
        if requirement.marker and not requirement.marker.evaluate(ENVIRONMENT):
            continue
        pin = pins.get(canonicalize_name(requirement.name))
        if pin is None or pin.version not in requirement.specifier:
            found = pin.version if pin else "nothing"
            stale.append(f"{requirement} (locked: {found})")
    assert not stale, (
        f"{lock.relative_to(ROOT)} does not satisfy pyproject.toml: "
        + "; ".join(stale)
        + ". Run `make lock` and commit requirements/."
    )


@pytest.mark.parametrize("lock", [APP_LOCK, TEST_LOCK])
def test_every_pin_carries_sha256_hashes(lock: Path) -> None:
    pins = read_lock(lock)
    assert len(pins) > 50
    unhashed = [name for name, pin in pins.items() if not pin.hashes]
    assert unhashed == []
    assert all(
        digest.startswith("sha256:") and len(digest) == 71
        for pin in pins.values()
        for digest in pin.hashes
    )


def test_the_app_lock_agrees_with_the_test_lock() -> None:
    """The tests run the versions production installs."""
    app, test = read_lock(APP_LOCK), read_lock(TEST_LOCK)
    assert app.keys() <= test.keys()
    assert {name: pin.version for name, pin in app.items()} == {
        name: test[name].version for name in app
    }


def test_the_image_installs_only_from_the_app_lock_and_runs_unprivileged() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    installs = [line for line in dockerfile.splitlines() if "pip install" in line]
    assert installs[0].strip().endswith("--require-hashes --no-deps -r /tmp/app.txt")
    assert all("--no-deps" in line for line in installs)
    assert "COPY requirements/app.txt /tmp/app.txt" in dockerfile
    final_stage = dockerfile.rsplit("\nFROM ", 1)[1]
    assert "\nUSER plaza\n" in final_stage
    assert "HEALTHCHECK" in final_stage and "/readyz" in final_stage


def _wheel(folder: Path, name: str, version: str) -> Path:
    """A minimal, valid pure-Python wheel, so that pip can be run with no network."""
    path = folder / f"{name}-{version}-py3-none-any.whl"
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": b"",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: plaza-tests\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    records = []
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in files.items():
            archive.writestr(member, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            records.append(f"{member},sha256={digest.decode()},{len(data)}")
        archive.writestr(f"{dist}/RECORD", "\n".join([*records, f"{dist}/RECORD,,"]) + "\n")
    return path


def test_a_tampered_lock_installs_nothing_and_says_why(tmp_path: Path) -> None:
    """A package whose bytes differ from the lock's hash is refused, with pip's own
    message, and nothing is installed: the lock is what the install trusts."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    wheel = _wheel(wheels, "plaza_lock_probe", "1.0")
    good = hashlib.sha256(wheel.read_bytes()).hexdigest()
    target = tmp_path / "site"

    def install(digest: str) -> subprocess.CompletedProcess[str]:
        lock = tmp_path / "lock.txt"
        lock.write_text(f"plaza-lock-probe==1.0 \\\n    --hash=sha256:{digest}\n")
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-index",
                   "--find-links", str(wheels), "--require-hashes", "--no-deps",
                   "--target", str(target), "-r", str(lock)]  # fmt: skip
        return subprocess.run(command, capture_output=True, text=True, check=False)

    tampered = install("0" * 64)
    assert tampered.returncode != 0
    assert "DO NOT MATCH THE HASHES" in tampered.stderr
    assert not (target / "plaza_lock_probe").exists()

    assert install(good).returncode == 0
    assert (target / "plaza_lock_probe" / "__init__.py").exists()
