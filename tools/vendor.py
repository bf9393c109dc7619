"""Vendor the browser assets listed in tools/vendored.toml from the npm registry (`make vendor`).

For each package: `npm pack NAME@VERSION` (the registry the machine's npm is configured for), check the tarball's
SHA-512 against the integrity the registry publishes, copy the listed files into `dest` (flat, by base name) and
write their SHA-256 sums back into the manifest. Run it to upgrade a package; the tests check the committed files
against the sums, so a hand-edited asset fails CI.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "tools" / "vendored.toml"


def _npm(*args: str, cwd: Path) -> str:
    return subprocess.run(["npm", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout  # noqa: S603, S607


def _check_integrity(tarball: Path, integrity: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
    if digest != expected:
        raise SystemExit(f"{tarball.name}: integrity mismatch (registry says {integrity})")


def vendor_package(package: dict[str, object], work: Path) -> dict[str, str]:
    """Download, verify and copy one package's files; returns {file: sha256}."""
    spec = f"{package['name']}@{package['version']}"
    meta = json.loads(_npm("pack", spec, "--json", cwd=work))[0]
    tarball = work / meta["filename"]
    _check_integrity(tarball, meta["integrity"])
    dest = ROOT / str(package["dest"])
    dest.mkdir(parents=True, exist_ok=True)
    sums: dict[str, str] = {}
    with tarfile.open(tarball) as archive:
        for name in dict(package["files"]):  # type: ignore[call-overload]
            member = archive.extractfile(f"package/{name}")
            if member is None:
                raise SystemExit(f"{spec}: no file {name}")
            data = member.read()
            (dest / Path(name).name).write_bytes(data)
            sums[name] = hashlib.sha256(data).hexdigest()
    print(f"{spec}: {len(sums)} files -> {package['dest']}")  # noqa: T201
    return sums


def _write_sums(text: str, name: str, sums: dict[str, str]) -> str:
    """Replace the `files = {...}` line of package `name` with the new sums (keeps the manifest's comments)."""
    block = re.search(rf'name = "{re.escape(name)}"(.|\n)*?^files = \{{.*\}}$', text, flags=re.MULTILINE)
    if block is None:
        raise SystemExit(f"manifest: no files line for {name}")
    files = ", ".join(f'"{file}" = "{digest}"' for file, digest in sums.items())
    updated = re.sub(r"^files = \{.*\}$", f"files = {{ {files} }}", block.group(0), flags=re.MULTILINE)
    return text.replace(block.group(0), updated)


def main() -> None:
    text = MANIFEST.read_text()
    with tempfile.TemporaryDirectory() as tmp:
        for package in tomllib.loads(text)["package"]:
            text = _write_sums(text, package["name"], vendor_package(package, Path(tmp)))
    MANIFEST.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
