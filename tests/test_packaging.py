"""The source distribution carries what building the C extension needs: a missing
header would make every build from the sdist fail to compile, and
``Extension(optional=True)`` would then install without the extension, silently."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_sdist_has_every_source_and_header_of_the_extension(tmp_path: Path) -> None:
    sources = {path.relative_to(ROOT).as_posix() for path in (ROOT / "mysqlproto").glob("*.c")}
    needed = set(sources)
    for source in sources:
        text = (ROOT / source).read_text(encoding="utf-8")
        needed |= {f"mysqlproto/{name}" for name in re.findall(r'#include "([^"]+)"', text)}
    assert "mysqlproto/_jsonb.h" in needed
    # from a copy of the tree: a checkout's *.egg-info/SOURCES.txt (pip install -e
    # writes one) keeps listing files that the manifest rules no longer take
    tree = tmp_path / "tree"
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, check=True, capture_output=True, text=True).stdout
    for name in files.splitlines():
        if (ROOT / name).is_file() and ".egg-info" not in name:
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, tree / name)
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "setup.py", "-q", "sdist", "-d", str(dist)],
                   cwd=tree, check=True, capture_output=True)
    (archive,) = dist.glob("*.tar.gz")
    with tarfile.open(archive) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    assert needed <= names, sorted(needed - names)
