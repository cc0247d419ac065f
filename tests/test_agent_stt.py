"""Speech-to-text: the agent-adapted pocketsphinx model on real synthesized speech, the model
cache, pronunciations for unknown words, and the OpenAI-compatible backend on a local server.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.fake_stt import STT_KEY, TranscriptionFake
from tests.fakes.http_server import Reply
from tests.fakes.providers import openai_error, serve
from tts_agents import TTSAgent
from tts_agents.agent.config import default_agent_path, domain_sentences, load_agent
from tts_agents.errors import (
    TTSAPIError,
    TTSConfigError,
    TTSRateLimitError,
    TTSTimeoutError,
    TTSUnavailableError,
    TTSValidationError,
)
from tts_agents.stt import Transcript, build_recognizer_factory
from tts_agents.stt.arpa import WittenBellModel
from tts_agents.stt.domain_model import build_domain_model, cmu_dictionary, general_unigrams
from tts_agents.stt.openai_stt import OpenAITranscriptionFactory
from tts_agents.stt.phonemes import UnknownPhoneme, espeak_ipa, ipa_to_cmu
from tts_agents.stt.sphinx import PocketsphinxFactory
from tts_agents.stt.words import word_errors, words

RATE = 16_000
QUESTIONS = {  # question -> words the adapted model must get right
    "How do I install it?": {"install"},
    "What audio formats can you make?": {"audio", "formats"},
    "How do I start the server?": {"start", "server"},
}


async def speak(text: str, voice: str = "alloy") -> bytes:
    async with TTSAgent() as agent:
        response = await agent.generate_speech(text, voice=voice, format="pcm", sample_rate=RATE)
    return response.audio_data or b""


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    return domain_sentences(load_agent(default_agent_path()))


@pytest.fixture(scope="module")
def speech() -> dict[str, bytes]:
    async def run() -> dict[str, bytes]:
        return {text: await speak(text) for text in QUESTIONS}

    return asyncio.run(run())


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stt-cache")


@pytest.fixture
async def factory(sentences: list[str], model_cache: Path) -> PocketsphinxFactory:
    built = await build_recognizer_factory(sentences, cache_dir=model_cache)
    assert isinstance(built, PocketsphinxFactory)
    return built


async def transcribe(factory: PocketsphinxFactory, pcm: bytes, chunk: int) -> tuple[str, list[str]]:
    """Feed ``pcm`` in ``chunk``-byte pieces; the final text and the partials seen on the way."""
    recognizer = factory.create()
    partials = []
    try:
        await recognizer.start()
        for offset in range(0, len(pcm), chunk):
            await recognizer.feed(pcm[offset : offset + chunk])
            partials.append(await recognizer.partial())
        transcript = await recognizer.finish()
    finally:
        await recognizer.aclose()
    assert isinstance(transcript, Transcript)
    assert transcript.confidence is not None and 0.0 <= transcript.confidence <= 1.0
    return transcript.text, partials


async def test_adapted_model_hears_in_domain_questions(
    factory: PocketsphinxFactory, speech: dict[str, bytes]
) -> None:
    recognizer = factory.create()
    try:
        for question, keywords in QUESTIONS.items():
            await recognizer.start()
            await recognizer.feed(speech[question])
            heard = (await recognizer.finish()).text
            assert keywords <= set(words(heard)), (question, heard)
    finally:
        await recognizer.aclose()


@pytest.mark.parametrize("chunk", [640, 8000], ids=["20ms", "250ms"])
async def test_incremental_feed_gives_partials_before_finish(
    factory: PocketsphinxFactory, speech: dict[str, bytes], chunk: int
) -> None:
    pcm = speech["What audio formats can you make?"]
    text, partials = await transcribe(factory, pcm, chunk)
    before_the_end = partials[: len(partials) * 3 // 4]
    assert any(before_the_end), partials
    assert {"audio", "formats"} <= set(words(text))
    # Partials grow into the final transcript: the last one already holds most of it.
    errors, total = word_errors(text, partials[-1])
    assert errors <= total // 2


async def test_finish_right_after_the_last_feed_and_odd_chunks(
    factory: PocketsphinxFactory, speech: dict[str, bytes]
) -> None:
    pcm = speech["How do I start the server?"]
    text, _ = await transcribe(factory, pcm, 333)  # odd sizes split samples across feeds
    assert {"start", "server"} <= set(words(text))


async def test_recognizer_lifecycle(factory: PocketsphinxFactory) -> None:
    recognizer = factory.create()
    assert await recognizer.partial() == ""
    with pytest.raises(TTSValidationError):
        await recognizer.finish()
    await recognizer.start()
    await recognizer.feed(b"\x00\x00" * 3200)
    await recognizer.cancel()
    await recognizer.start()
    silence = await recognizer.finish()
    assert silence.text == ""
    await recognizer.start()
    await recognizer.feed(b"\x00\x00" * 3200)
    await recognizer.aclose()  # mid-utterance: the decoder is released all the same
    await recognizer.aclose()
    with pytest.raises(TTSValidationError):
        await recognizer.start()
    await factory.aclose()


async def test_second_build_hits_the_cache(sentences: list[str], tmp_path: Path) -> None:
    first = await asyncio.to_thread(build_domain_model, sentences, cache_dir=tmp_path)
    second = await asyncio.to_thread(build_domain_model, sentences, cache_dir=tmp_path)
    assert not first.from_cache and second.from_cache
    assert second.directory == first.directory
    assert second.lm_path.read_text() == first.lm_path.read_text()
    assert [p.name for p in tmp_path.iterdir()] == [first.directory.name]  # no leftovers
    other = await asyncio.to_thread(
        build_domain_model, [*sentences, "a new line"], cache_dir=tmp_path
    )
    assert not other.from_cache and other.directory != first.directory
    factory = await build_recognizer_factory(sentences, cache_dir=tmp_path)
    assert isinstance(factory, PocketsphinxFactory)
    assert factory.model is not None and factory.model.from_cache


async def test_words_missing_from_the_dictionary_get_pronunciations(tmp_path: Path) -> None:
    domain = [
        "what is espeak",
        "espeak is the offline speech engine",
        "elevenlabs is a cloud engine",
        "the server listens on port 8000",
        "привет means hello",  # espeak reads it as Russian: phones the English model lacks
    ]
    model = await asyncio.to_thread(build_domain_model, domain, cache_dir=tmp_path)
    entries = dict(line.split(" ", 1) for line in model.dict_path.read_text().splitlines())
    assert entries["espeak"] == "IY S P IY K"
    assert entries["elevenlabs"].startswith("IH L EH V AH N L AE B Z")
    assert entries["8000"] == "EY T TH AW Z AH N D"
    assert model.dropped == ("привет",)
    assert "привет" not in entries and "привет" not in model.lm_path.read_text()
    assert "\tmeans hello" in model.lm_path.read_text()  # the rest of the sentence stays
    factory = PocketsphinxFactory(model)
    text, _ = await transcribe(factory, await speak("What is espeak?"), 640)
    assert "espeak" in words(text)


OUT_OF_DOMAIN = [
    "The weather will be sunny tomorrow afternoon.",
    "My brother bought a new car last week.",
    "I would like to order a large pizza.",
]


async def test_general_fallback_keeps_out_of_domain_speech(
    factory: PocketsphinxFactory, speech: dict[str, bytes]
) -> None:
    outside = [await speak(text) for text in OUT_OF_DOMAIN]
    errors = {}
    both = PocketsphinxFactory(factory.model, general_fallback=True)
    for name, chosen in [("domain", factory), ("both", both)]:
        recognizer = chosen.create()
        errors[name] = 0
        try:
            # A session: a question first (the decoders adapt to the voice), then chat.
            for text, pcm in [
                ("", speech["How do I start the server?"]),
                *zip(OUT_OF_DOMAIN, outside, strict=True),
            ]:
                await recognizer.start()
                await recognizer.feed(pcm)
                heard = (await recognizer.finish()).text
                errors[name] += word_errors(text, heard)[0] if text else 0
        finally:
            await recognizer.aclose()
    assert errors["both"] < errors["domain"], errors


def test_espeak_pronunciations_agree_with_the_dictionary() -> None:
    """The IPA table is sound: for common words espeak and CMU mostly say the same phones."""
    dictionary = cmu_dictionary()
    sample = list(general_unigrams(1500))[1000:]
    agree = sum(
        ipa_to_cmu(ipa) in dictionary[word]
        for word, ipa in zip(sample, espeak_ipa(sample), strict=True)
    )
    assert agree >= 0.75 * len(sample)


def test_words_and_word_error_rate() -> None:
    assert words("Use MP3, 2.5x speed; don't stop—café!") == [
        "use", "mp3", "2.5", "x", "speed", "don't", "stop", "café",
    ]  # fmt: skip
    assert word_errors("How do I install it?", "how do you install it it") == (2, 5)


def test_unknown_phonemes_are_refused() -> None:
    assert ipa_to_cmu("h_ə_l_ˈoʊ w_ˈɜː_l_d") == "HH AH L OW W ER L D"
    with pytest.raises(UnknownPhoneme):
        ipa_to_cmu("ʕ_a")


def test_witten_bell_model_is_normalized() -> None:
    model = WittenBellModel(
        [["how", "do", "i", "start"], ["how", "do", "i", "stop"], ["start", "it"]],
        background={"hello": 3.0, "start": 1.0},
        background_weight=0.1,
    )
    vocabulary = [word for word in model.vocabulary if word != "<s>"]
    for history in [("<s>",), ("do", "i"), ("i",), ("hello",), ("<s>", "how")]:
        total = sum(model.probability((*history, word)) for word in vocabulary)
        assert total == pytest.approx(1.0)
    arpa = model.arpa()
    assert "ngram 3=" in arpa and "\thello" in arpa and arpa.rstrip().endswith("\\end\\")


async def test_no_domain_sentences_means_the_general_model() -> None:
    factory = await build_recognizer_factory([])
    assert isinstance(factory, PocketsphinxFactory) and factory.model is None


async def test_unknown_engine_is_a_config_error() -> None:
    with pytest.raises(TTSConfigError, match="unknown stt engine"):
        await build_recognizer_factory(["hello"], engine="whisper.cpp")


# -- the OpenAI-compatible backend ----------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[TranscriptionFake]:
    fake = TranscriptionFake(text=" how do I install it ")
    with serve(fake):
        yield fake


def base_url(fake: TranscriptionFake) -> str:
    assert fake.server is not None
    return fake.server.url + "/v1"


async def test_openai_backend_sends_one_wav_per_utterance(
    fake: TranscriptionFake, speech: dict[str, bytes]
) -> None:
    factory = await build_recognizer_factory(
        ["unused"], engine="openai", base_url=base_url(fake), model="whisper-1", api_key=STT_KEY
    )
    assert isinstance(factory, OpenAITranscriptionFactory)
    recognizer = factory.create()
    pcm = speech["How do I install it?"]
    await recognizer.start()
    for offset in range(0, len(pcm), 641):
        await recognizer.feed(pcm[offset : offset + 641])
        assert await recognizer.partial() == ""
    assert await recognizer.finish() == Transcript("how do I install it", None)
    await recognizer.aclose()
    await factory.aclose()

    (upload,) = fake.uploads
    assert upload.fields == {"model": "whisper-1", "response_format": "json"}
    assert upload.filename.endswith(".wav") and upload.content_type == "audio/wav"
    assert (upload.sample_rate, upload.channels, upload.sample_width) == (RATE, 1, 2)
    assert upload.frames == len(pcm) // 2
    (request,) = fake.requests
    assert request.headers["authorization"] == f"Bearer {STT_KEY}"


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (openai_error(500, "The server had an error", "server_error"), TTSUnavailableError),
        (openai_error(429, "Rate limit reached", "requests", "rate_limit_exceeded"),
         TTSRateLimitError),
        (Reply.json(200, {"no": "text"}), TTSAPIError),
    ],
    ids=["500", "429", "no-text"],
)  # fmt: skip
async def test_openai_backend_errors(
    fake: TranscriptionFake, reply: Reply, error: type[TTSAPIError]
) -> None:
    fake.queue(reply)
    factory = OpenAITranscriptionFactory(base_url=base_url(fake), api_key=STT_KEY)
    recognizer = factory.create()
    await recognizer.feed(b"\x01\x00" * 1600)
    with pytest.raises(error):
        await recognizer.finish()
    await factory.aclose()


async def test_openai_backend_bad_key(fake: TranscriptionFake) -> None:
    bad_key = "sk-wrong-key-0123456789"
    factory = OpenAITranscriptionFactory(base_url=base_url(fake), api_key=bad_key)
    recognizer = factory.create()
    await recognizer.feed(b"\x01\x00" * 1600)
    with pytest.raises(TTSAPIError) as caught:
        await recognizer.finish()
    assert caught.value.status_code == 401
    assert bad_key not in str(caught.value)
    assert fake.uploads == []
    await factory.aclose()


async def test_openai_backend_timeout(fake: TranscriptionFake) -> None:
    fake.queue(Reply.json(200, {"text": "late"}, delay=2.0))
    factory = OpenAITranscriptionFactory(base_url=base_url(fake), api_key=STT_KEY, timeout=0.3)
    recognizer = factory.create()
    await recognizer.feed(b"\x01\x00" * 1600)
    with pytest.raises(TTSTimeoutError):
        await recognizer.finish()
    await factory.aclose()


def test_openai_backend_needs_https_off_this_machine() -> None:
    with pytest.raises(TTSConfigError, match="HTTPS is required"):
        OpenAITranscriptionFactory(base_url="http://stt.example.com/v1", api_key=STT_KEY)


def _decoders_reachable(root: object, pool: object, depth: int = 4) -> int:
    """pocketsphinx decoders ``root`` keeps alive through its own references (not ``pool``'s)."""
    from pocketsphinx import Decoder

    found, seen, frontier = 0, {id(root), id(pool)}, [root]
    for _ in range(depth):
        reached = []
        for referent in (r for obj in frontier for r in gc.get_referents(obj)):
            if id(referent) in seen:
                continue
            seen.add(id(referent))
            found += isinstance(referent, Decoder)
            reached.append(referent)
        frontier = reached
    return found


async def test_a_closed_recognizer_lets_go_of_its_decoders(factory: PocketsphinxFactory) -> None:
    """A voice session sits in reference cycles until the collector runs; its recognizer
    must not keep ~7 MB of native decoder alive that long once it is closed."""
    recognizers = [factory.create() for _ in range(4)]  # more than the idle pool keeps
    for recognizer in recognizers:
        await recognizer.start()
    assert all(_decoders_reachable(r, factory) == 1 for r in recognizers)
    for recognizer in recognizers:
        await recognizer.aclose()
    assert [_decoders_reachable(r, factory) for r in recognizers] == [0, 0, 0, 0]
