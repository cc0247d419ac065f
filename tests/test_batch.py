"""Batch: manifest, crash-safe resume after SIGKILL, input files, failures, Ray backend."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import decode, run_cli
from tts_agents import TTSAgent, TTSRequest, TTSValidationError
from tts_agents.batch import BatchProcessor, load_requests


def manifest(directory: Path) -> dict[str, dict]:
    records = {}
    for line in (directory / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        records[record["name"]] = record
    return records


def test_killed_batch_resumes_to_complete_output(tmp_path: Path) -> None:
    items = tmp_path / "items.txt"
    items.write_text("".join(f"Item number {i}, spoken for the crash test.\n" for i in range(200)))
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TTS_AGENTS_", "OPENAI_"))}
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "tts_agents", "batch", "-i", str(items), "-d", str(out), "-c", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    done_before_kill = 0
    while time.monotonic() < deadline and process.poll() is None:
        path = out / "manifest.jsonl"
        done_before_kill = path.read_text().count('"done"') if path.exists() else 0
        if done_before_kill >= 30:
            break
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the driver and its worker processes
    process.wait(timeout=30)
    assert 30 <= done_before_kill < 200, "the kill must land mid-run"

    result = run_cli("batch", "-i", str(items), "-d", str(out), "--resume", "--json", timeout=300)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["done"] == 200 and summary["failed"] == 0 and summary["skipped"] >= 30
    records = manifest(out)
    assert len(records) == 200 and {r["status"] for r in records.values()} == {"done"}
    files = sorted(p for p in out.iterdir() if p.suffix == ".mp3")
    assert len(files) == 200
    assert [p for p in out.iterdir() if p.name.startswith(".")] == []  # no temp files remain
    for path in files:
        assert decode(path).duration > 1.0


def test_failed_item_is_reported_and_does_not_stop_the_batch(tmp_path: Path) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        json.dumps({"id": "good-1", "text": "Hello there."})
        + "\n"
        + json.dumps({"id": "bad", "text": "Wrong voice.", "voice": "nobody"})
        + "\n"
        + json.dumps({"id": "good-2", "text": "Still here.", "format": "wav"})
        + "\n"
    )
    result = run_cli("batch", "-i", str(rows), "-d", str(tmp_path / "o"), "--json")
    assert result.returncode == 1
    summary = json.loads(result.stdout)
    assert summary["succeeded"] == 2 and summary["failed"] == 1
    assert "voice: unknown voice 'nobody'" in summary["errors"][0]["error"]
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == [
        "good-1.mp3",
        "good-2.wav",
        "manifest.jsonl",
    ]
    assert manifest(tmp_path / "o")["bad"]["status"] == "failed"


def test_csv_input_and_resume_skips_done_items(tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text('id,text,voice,speed\na,"Hello, world.",echo,1.2\nb,Second line.,,\n')
    out = tmp_path / "o"
    assert run_cli("batch", "-i", str(rows), "-d", str(out), "--format", "flac").returncode == 0
    first = manifest(out)
    again = run_cli(
        "batch", "-i", str(rows), "-d", str(out), "--format", "flac", "--resume", "--json"
    )
    assert json.loads(again.stdout)["skipped"] == 2
    assert manifest(out) == first
    assert decode(out / "a.flac").duration > 0.5


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("x.csv", "words\nhello\n", "needs a 'text' column"),
        ("x.jsonl", '{"text": "ok"}\n[1]\n', "x.jsonl line 2: not a JSON object"),
        ("x.jsonl", '{"text": "ok", "colour": "red"}\n', "unknown field 'colour'"),
        ("x.jsonl", '{"text": "ok", "speed": 9}\n', "x.jsonl line 1: speed"),
        ("x.txt", "\n\n", "holds no texts"),
        ("x.doc", "hello", "use a .txt, .csv or .jsonl file"),
    ],
)
def test_bad_input_files_name_the_line(
    tmp_path: Path, name: str, content: str, fragment: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(TTSValidationError, match="input_file") as info:
        load_requests(path)
    assert fragment in str(info.value)
    result = run_cli("batch", "-i", str(path), "-d", str(tmp_path / "o"))
    assert result.returncode == 2 and fragment.encode() in result.stderr


async def test_ids_that_escape_the_directory_are_refused(tmp_path: Path) -> None:
    async with TTSAgent() as agent:
        processor = BatchProcessor(agent, 2)
        for bad in ("../evil", "/etc/passwd", "a/b", ".hidden"):
            with pytest.raises(TTSValidationError, match="not a safe file name"):
                await processor.process_batch([TTSRequest(text="hi", id=bad)], tmp_path)
        with pytest.raises(TTSValidationError, match="used by items 1 and 2"):
            await processor.process_batch(
                [TTSRequest(text="a", id="same"), TTSRequest(text="b", id="same")], tmp_path
            )
    assert list(tmp_path.iterdir()) == []


def test_ray_backend_writes_the_same_files_as_local(tmp_path: Path) -> None:
    items = tmp_path / "items.txt"
    items.write_text("".join(f"Ray item {i} checks the backend.\n" for i in range(12)))
    local = run_cli("batch", "-i", str(items), "-d", str(tmp_path / "local"), "--json", "-c", "2")
    ray = run_cli(
        "batch",
        "-i",
        str(items),
        "-d",
        str(tmp_path / "ray"),
        "--json",
        "--backend",
        "ray",
        "-c",
        "2",
        timeout=300,
    )
    assert local.returncode == 0 and ray.returncode == 0, ray.stderr[-2000:]
    local_records, ray_records = manifest(tmp_path / "local"), manifest(tmp_path / "ray")
    assert local_records.keys() == ray_records.keys()
    for name, record in local_records.items():
        other = ray_records[name]
        assert record["file"] == other["file"] and record["status"] == other["status"] == "done"
        # espeak-ng adds a little random jitter, so compare decoded audio, not bytes
        a, b = decode(tmp_path / "local" / record["file"]), decode(tmp_path / "ray" / other["file"])
        assert a.sample_rate == b.sample_rate and abs(a.duration - b.duration) < 0.05 * a.duration


def test_empty_cells_mean_not_set_so_defaults_apply(tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "id,text,format,voice,speed,language,sample_rate\n"
        "a,First row.,,,,,\n"
        "b,Second row., ,,,,\n"
        "c,Third row.,wav,echo,1.0,en,22050\n"
    )
    defaults = {"format": "flac", "voice": "nobody", "speed": 2.0}
    a, b, c = load_requests(rows, defaults)
    assert (a.format, a.voice, a.speed) == ("flac", "nobody", 2.0)
    assert (b.format, b.voice, b.speed) == ("flac", "nobody", 2.0)  # a blank cell is empty too
    assert (c.format, c.voice, c.speed, c.sample_rate) == ("wav", "echo", 1.0, 22050)
    assert load_requests(rows)[0].format is None  # no default: the agent's own applies
    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_text('{"text": "Null is not set.", "format": null, "voice": ""}\n')
    (only,) = load_requests(jsonl, defaults)
    assert (only.format, only.voice) == ("flac", "nobody")


def test_command_options_fill_empty_csv_cells(tmp_path: Path) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text("id,text,format,voice\na,Empty cells.,,\nb,Own format.,wav,\n")
    out = tmp_path / "o"
    result = run_cli("batch", "-i", str(rows), "-d", str(out), "--format", "flac", "--json")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a.flac", "b.wav", "manifest.jsonl"]
    assert decode(out / "a.flac").codec == "flac" and decode(out / "a.flac").duration > 0.3
    assert decode(out / "b.wav").codec.startswith("pcm_")
    # the command's --voice reaches a row whose voice cell is empty: this one is unknown
    voiced = run_cli("batch", "-i", str(rows), "-d", str(tmp_path / "v"), "--voice", "nobody")
    assert voiced.returncode == 1 and b"2 failed" in voiced.stderr


def test_manifest_index_is_the_number_in_the_file_name(tmp_path: Path) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        "".join(
            json.dumps(row) + "\n"
            for row in (
                {"text": "First."},
                {"text": "Second.", "voice": "nobody"},
                {"text": "Third."},
                {"id": "named", "text": "Fourth."},
            )
        )
    )
    out = tmp_path / "o"
    result = run_cli("batch", "-i", str(rows), "-d", str(out), "--json")
    assert result.returncode == 1
    records = manifest(out)
    assert {name: record["index"] for name, record in records.items()} == {
        "00001-first": 1,
        "00002-second": 2,
        "00003-third": 3,
        "named": 4,
    }
    assert records["00003-third"]["file"] == "00003-third.mp3"
    (error,) = json.loads(result.stdout)["errors"]
    assert (error["index"], error["id"]) == (2, "00002-second")


@pytest.mark.parametrize("bad", ["../x", "a/b", "/etc/passwd", ".hidden"])
def test_unsafe_id_refuses_the_batch_naming_the_row(tmp_path: Path, bad: str) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text(f"id,text\nfine,Would be spoken.\n{bad},Escapes.\n")
    out = tmp_path / "o"
    result = run_cli("batch", "-i", str(rows), "-d", str(out), "--engine", "espeak")
    assert result.returncode == 2
    message = result.stderr.decode()
    assert message.count("\n") == 1, message
    assert f"rows.csv line 3: id: {bad!r} is not a safe file name" in message
    assert not out.exists()  # refused before any work: nothing half-written


def test_repeated_id_is_refused_naming_both_rows(tmp_path: Path) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"id": "same", "text": "One."}\n\n{"id": "same", "text": "Two."}\n')
    result = run_cli("batch", "-i", str(rows), "-d", str(tmp_path / "o"))
    assert result.returncode == 2 and not (tmp_path / "o").exists()
    assert b"rows.jsonl line 3: id: 'same' is already used on line 1" in result.stderr


async def test_library_refusal_names_the_item(tmp_path: Path) -> None:
    requests = [TTSRequest(text="fine", id="fine"), TTSRequest(text="bad", id="a/b")]
    async with TTSAgent() as agent:
        with pytest.raises(TTSValidationError, match=r"item 2: id: 'a/b' is not a safe file name"):
            await BatchProcessor(agent, 2).process_batch(requests, tmp_path)
    assert list(tmp_path.iterdir()) == []
