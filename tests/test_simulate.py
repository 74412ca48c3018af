"""`extractbench simulate`: outputs, determinism, atomicity."""

from __future__ import annotations

import errno
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from simulator.cli import app
from simulator.registry import LABEL_COLUMNS
from simulator.traffic import ACCOUNT_SCHEMA, REQUEST_COLUMNS

runner = CliRunner()
PARQUETS = ("requests.parquet", "accounts.parquet", "labels.parquet", "request_labels.parquet")


def simulate(quickstart: Path, out: Path, *extra: str):
    result = runner.invoke(app, ["simulate", str(quickstart), "--duration", "2h", "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory, quickstart_path: Path) -> Path:
    out = tmp_path_factory.mktemp("first")
    simulate(quickstart_path, out, "--seed", "11")
    return out


def test_simulate_writes_visible_traffic_registry_and_ground_truth(first_run: Path) -> None:
    for name in (*PARQUETS, "run.json"):
        assert (first_run / name).is_file(), name
    requests = pq.read_table(first_run / "requests.parquet")
    assert tuple(requests.column_names) == REQUEST_COLUMNS
    assert requests.num_rows > 500
    assert tuple(pq.read_schema(first_run / "accounts.parquet").names) == tuple(ACCOUNT_SCHEMA.names)
    labels = pq.read_table(first_run / "labels.parquet").to_pandas()
    assert tuple(labels.columns) == LABEL_COLUMNS
    assert labels.is_attacker.dtype == bool and labels.is_attacker.any() and not labels.is_attacker.all()
    run = json.loads((first_run / "run.json").read_text())
    assert run["seed"] == 11 and run["summary"]["requests"] == requests.num_rows
    assert run["scenario"]["duration"] == "2h"
    assert not list(first_run.glob(".*.tmp"))


def test_the_same_seed_gives_byte_identical_parquet(first_run: Path, tmp_path: Path, quickstart_path: Path) -> None:
    simulate(quickstart_path, tmp_path, "--seed", "11")
    for name in PARQUETS:
        assert (first_run / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_a_different_seed_gives_different_traffic(first_run: Path, tmp_path: Path, quickstart_path: Path) -> None:
    simulate(quickstart_path, tmp_path, "--seed", "12")
    for name in PARQUETS:
        assert (first_run / name).read_bytes() != (tmp_path / name).read_bytes(), name


def test_scale_multiplies_accounts(tmp_path: Path, quickstart_path: Path) -> None:
    simulate(quickstart_path, tmp_path, "--scale", "0.5")
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["summary"]["accounts"] == 150 + 10 + 30 + 5 + 3 + 2 + 1 + 20 + 5 + 20


def test_bad_options_exit_2_without_a_traceback(tmp_path: Path, quickstart_path: Path) -> None:
    for args in (["--duration", "soon"], ["--scale", "-1"], ["--seed", "x"]):
        result = runner.invoke(app, ["simulate", str(quickstart_path), "--out", str(tmp_path), *args])
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
    result = runner.invoke(app, ["simulate", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2 and "no such file" in result.output


def test_an_interrupted_run_leaves_no_file_under_a_final_name(
    tmp_path: Path, quickstart_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from simulator.scenario.loading import load_scenario
    from simulator.simulation_folder import simulate_to_folder

    def boom(done: int, total: int) -> None:
        if done == 30:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        simulate_to_folder(load_scenario(quickstart_path).resolved(duration=7200), tmp_path, progress=boom)
    assert list(tmp_path.iterdir()) == []


def test_a_simulation_that_fails_at_its_last_files_leaves_the_folder_as_it_was(
    first_run: Path, tmp_path: Path, quickstart_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from simulator import simulation_folder
    from simulator.scenario.loading import load_scenario

    out = tmp_path / "out"
    shutil.copytree(first_run, out)
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    written = simulation_folder.write_table

    def disk_full_at_labels(path: Path, table) -> None:
        if path.name == "labels.parquet":  # after the request logs and the accounts: a full disk
            raise OSError(errno.ENOSPC, "No space left on device")
        written(path, table)

    monkeypatch.setattr(simulation_folder, "write_table", disk_full_at_labels)
    with pytest.raises(OSError, match="No space left"):
        simulation_folder.simulate_to_folder(load_scenario(quickstart_path).resolved(duration=3600), out, seed=12)
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before  # no staging folder either


def test_a_full_disk_is_reported_as_the_systems_refusal_not_an_internal_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import simulator.cli as cli

    def full() -> None:
        raise OSError(errno.ENOSPC, "Error writing bytes to file. Detail: [errno 28] No space left on device")

    monkeypatch.setattr(cli, "app", full)
    with pytest.raises(SystemExit) as done:
        cli.main()
    assert done.value.code == 74
    message = capsys.readouterr().err
    assert "No space left on device" in message and "internal error" not in message


def test_outputs_get_the_permissions_of_a_plainly_created_file(first_run: Path, tmp_path: Path) -> None:
    # the atomic writer's temporary file starts private (0o600); the final file must not stay so
    plain = tmp_path / "plain"
    plain.write_text("")
    expected = plain.stat().st_mode & 0o777
    for name in (*PARQUETS, "run.json"):
        assert (first_run / name).stat().st_mode & 0o777 == expected, name
