"""A symbolic link planted in a results folder is refused on resume, not followed."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from simulator.bench.store import ResultsStore, ResumeError


@pytest.mark.parametrize("where", ["cell file", "cell folder", "cells"])
def test_a_planted_link_is_refused_on_resume(tiny_run: Path, tmp_path: Path, where: str) -> None:
    folder = tmp_path / "run"
    shutil.copytree(tiny_run, folder)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    cell = sorted((folder / "cells").iterdir())[0]
    if where == "cell file":
        link = cell / "outcomes.parquet"
        link.unlink()
        link.symlink_to(victim)
    elif where == "cell folder":
        shutil.rmtree(cell)
        link = cell
        link.symlink_to(tmp_path, target_is_directory=True)
    else:
        link = folder / "cells"
        shutil.move(str(link), str(tmp_path / "elsewhere"))
        link.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(ResumeError, match=f"{link} is a symbolic link"):
        ResultsStore(folder).open(SimpleNamespace(), "run", {})  # type: ignore[arg-type]
    assert victim.read_text() == "keep me\n"
