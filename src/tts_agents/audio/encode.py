"""Incremental encoders: feed PCM (s16le mono), get encoded bytes as they are ready.

Every output path (whole file, stream, HTTP chunk) uses these. Given a seekable ``sink``
(a file), an encoder writes straight to it and fixes up headers at the end: WAV sizes, the
MP3 Xing/LAME frame, FLAC's STREAMINFO, MP4's index (``.m4a``). Without one, bytes come
back from ``encode`` and ``finish``, and a WAV header carries the "unknown length" sizes
streaming players expect.
"""

from __future__ import annotations

import struct
from typing import BinaryIO, Protocol

import av
import numpy as np

from tts_agents.audio.formats import FormatSpec
from tts_agents.errors import map_errors

STREAMING_SIZE = 0xFFFFFFFF
_MP4_CONTAINERS = frozenset({"mp4", "ipod", "mov"})


class Encoder(Protocol):
    """An incremental encoder."""

    def encode(self, pcm: bytes) -> bytes:
        """Encode more PCM; returns whatever bytes are ready (empty with a sink)."""
        ...

    def finish(self) -> bytes:
        """Flush the codec and finalize headers; returns the last bytes."""
        ...


def create_encoder(spec: FormatSpec, sample_rate: int, sink: BinaryIO | None = None) -> Encoder:
    """An encoder for ``spec`` at ``sample_rate``, writing to ``sink`` if given."""
    if spec.name == "pcm":
        return _RawEncoder(sink)
    if spec.name == "wav":
        return _WavEncoder(sample_rate, sink)
    return _AvEncoder(spec, sample_rate, sink)


def wav_header(sample_rate: int, data_bytes: int | None) -> bytes:
    """A 44-byte RIFF/WAVE header for s16le mono; ``None`` means length unknown (streaming)."""
    data_size = STREAMING_SIZE if data_bytes is None else data_bytes
    riff_size = STREAMING_SIZE if data_bytes is None else 36 + data_bytes
    return (
        b"RIFF"
        + struct.pack("<I", riff_size)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, sample_rate, sample_rate * 2, 2, 16)
        + b"data"
        + struct.pack("<I", data_size)
    )


class _RawEncoder:
    def __init__(self, sink: BinaryIO | None) -> None:
        self._sink = sink

    def encode(self, pcm: bytes) -> bytes:
        if self._sink is None:
            return pcm
        self._sink.write(pcm)
        return b""

    def finish(self) -> bytes:
        return b""


class _WavEncoder:
    def __init__(self, sample_rate: int, sink: BinaryIO | None) -> None:
        self._rate = sample_rate
        self._sink = sink
        self._data_bytes = 0
        self._header = wav_header(sample_rate, None)
        if sink is not None:
            sink.write(self._header)
            self._header = b""

    def encode(self, pcm: bytes) -> bytes:
        self._data_bytes += len(pcm)
        if self._sink is not None:
            self._sink.write(pcm)
            return b""
        out, self._header = self._header + pcm, b""
        return out

    def finish(self) -> bytes:
        if self._sink is None:
            return self._header  # empty stream: a header alone is a valid empty WAV
        if self._sink.seekable():
            end = self._sink.tell()
            self._sink.seek(0)
            self._sink.write(wav_header(self._rate, self._data_bytes))
            self._sink.seek(end)
        return b""


class _Collector:
    """A write-only file object PyAV muxes into; ``drain`` hands over what it holds."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


class _AvEncoder:
    def __init__(self, spec: FormatSpec, sample_rate: int, sink: BinaryIO | None) -> None:
        self._spec = spec
        self._rate = sample_rate
        self._collector = _Collector() if sink is None else None
        target = sink if sink is not None else self._collector
        options = {"flush_packets": "1"}
        if spec.container == "ogg":
            options["page_duration"] = "100000"  # 100 ms pages instead of 1 s: lower latency
        if spec.container in _MP4_CONTAINERS and not (sink is not None and sink.seekable()):
            # MP4 writes its index after the audio and seeks back to size it; without a
            # seekable sink it has to be fragmented MP4, which needs no seeking.
            options["movflags"] = "frag_keyframe+empty_moov"
        with map_errors(f"encode {spec.name}"):
            self._container = av.open(target, mode="w", format=spec.container, options=options)
            self._stream = self._container.add_stream(spec.codec, rate=sample_rate, layout="mono")
            if spec.bit_rate:
                self._stream.bit_rate = spec.bit_rate
            if spec.codec_options:
                self._stream.codec_context.options = dict(spec.codec_options)
        self._pts = 0

    def encode(self, pcm: bytes) -> bytes:
        if pcm:
            samples = np.frombuffer(pcm, dtype="<i2").reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
            frame.sample_rate = self._rate
            frame.pts = self._pts
            self._pts += samples.shape[1]
            with map_errors(f"encode {self._spec.name}"):
                for packet in self._stream.encode(frame):
                    self._container.mux(packet)
        return self._collector.drain() if self._collector else b""

    def finish(self) -> bytes:
        with map_errors(f"encode {self._spec.name}"):
            for packet in self._stream.encode(None):
                self._container.mux(packet)
            self._container.close()
        return self._collector.drain() if self._collector else b""
