"""The golden build: the shipped corpus, built as `sitegen build` does, file by file.

Every output file's SHA-256 is compared with tests/data/golden_manifest.json, so a
refactor that changes a single byte of the site fails here. When a change is meant
to alter output, regenerate the manifest in the commit that makes it
(`python tests/test_golden.py`) and say in the message which files changed and why.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a script to regenerate the manifest
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import copy_shipped_content

from sitegen.build import BuildOptions, ingest_and_build

MANIFEST = Path(__file__).resolve().parent / "data" / "golden_manifest.json"


def shipped_build_hashes(folder: Path) -> dict[str, str]:
    """Ingest and build the shipped corpus in folder; every output file's SHA-256 by path."""
    root = copy_shipped_content(folder / "root")
    ingest_and_build(root, BuildOptions(root / "site", fork=True))
    site = root / "site"
    return {
        path.relative_to(site).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(site.rglob("*"))
        if path.is_file()
    }


def test_shipped_build_matches_the_golden_manifest(tmp_path: Path) -> None:
    expected = json.loads(MANIFEST.read_text(encoding="utf-8"))
    actual = shipped_build_hashes(tmp_path)
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    changed = sorted(p for p in set(expected) & set(actual) if expected[p] != actual[p])
    assert (missing, extra, changed[:20], len(changed)) == ([], [], [], 0)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as temp:
        hashes = shipped_build_hashes(Path(temp))
    MANIFEST.write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{MANIFEST}: {len(hashes)} files")
