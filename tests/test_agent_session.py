"""The voice-agent WebSocket with a plain ``websockets`` client against the real server.

Real everything: uvicorn, the default help-desk agent (pocketsphinx with its domain
model, the offline brain, espeak), user speech synthesized by espeak at 16 kHz.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import yaml
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import run_cli
from tts_agents import TTSAgent
from tts_agents.agent.config import default_agent_path, load_agent
from tts_agents.agent.session.limits import AudioBudget
from tts_agents.agent.session.turn_rules import BargeIn, BargeInPolicy, SentenceSplitter
from tts_agents.server import ServerSettings, create_app
from tts_agents.server.signed_urls import ConversationSigner, TokenRefused
from tts_agents.server.testing import running_server

KEY = "test-key-agent"
SECRET = "s" * 40
RATE = 16000
QUESTION = "What audio formats can you make?"


def _agent_file(directory: Path, agent_id: str, **changes: Any) -> Path:
    """A copy of the help desk under another id, with ``changes`` to its settings."""
    source = default_agent_path()
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["knowledge_base"] = [str(source.parent / path) for path in data["knowledge_base"]]
    data.update(id=agent_id, **changes)
    path = directory / f"{agent_id}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("agents")
    files = [
        _agent_file(folder, "public-desk", public=True),
        _agent_file(folder, "idle-desk", public=True, session={"idle_timeout_s": 5}),
        _agent_file(
            folder,
            "polite-desk",
            public=True,
            turn={"interruptions": False, "end_of_turn_silence_ms": 300},
        ),
        _agent_file(folder, "strict-desk", public=True, overrides=[]),
    ]
    agents = (load_agent(default_agent_path()), *(load_agent(path) for path in files))
    settings = ServerSettings(api_keys=(KEY,), agents=agents, conversation_secret=SECRET)
    with running_server(create_app(settings)) as url:
        yield url


SPOKEN = (QUESTION, "How do I install it?", "okay", "Is there a health check?")


@pytest.fixture(scope="module")
def speech() -> dict[str, bytes]:
    """16 kHz PCM16 of what the user says in these tests, synthesized once."""

    async def synthesize() -> dict[str, bytes]:
        async with TTSAgent() as agent:
            said = {}
            for text in SPOKEN:
                stream = agent.prepare(text, format="pcm", sample_rate=RATE, voice="echo")
                said[text] = b"".join([chunk.pcm async for chunk in stream.pcm()])
            return said

    return asyncio.run(synthesize())


def ws_url(base: str, agent: str = "help-desk", **query: str) -> str:
    return (
        base.replace("http://", "ws://")
        + "/v1/convai/conversation?"
        + urlencode({"agent_id": agent, **query})
    )


class Talk:
    """One conversation: records every server event in the background."""

    def __init__(self, ws: ClientConnection, *, answer_pings: bool = True) -> None:
        self.ws = ws
        self.events: list[tuple[float, dict[str, Any]]] = []
        self.closed: ConnectionClosed | None = None
        self._answer_pings = answer_pings
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            while True:  # recv() raises on every close, even a normal one
                message = json.loads(await self.ws.recv())
                self.events.append((time.monotonic(), message))
                if message["type"] == "ping" and self._answer_pings:
                    pong = {"type": "pong", "event_id": message["ping_event"]["event_id"]}
                    await self.ws.send(json.dumps(pong))
                self._changed.set()
        except ConnectionClosed as exc:
            self.closed = exc
        finally:
            self._changed.set()

    async def start(self, first_message: str = "", **init: Any) -> dict[str, Any]:
        override = {"agent": {"first_message": first_message}}
        message = {"type": "conversation_initiation_client_data"}
        message["conversation_config_override"] = init.pop("override", override)
        await self.send({**message, **init})
        return await self.next("conversation_initiation_metadata")

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [message for _, message in self.events if message["type"] == kind]

    async def wait(self, condition: Callable[[], Any], timeout: float = 20) -> Any:
        deadline = time.monotonic() + timeout
        while not (result := condition()):
            if self.closed is not None or time.monotonic() > deadline:
                raise AssertionError(f"timed out; closed={self.closed!r}; {self.kinds()}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), deadline - time.monotonic())
            except asyncio.TimeoutError:
                pass
        return result

    async def next(self, kind: str, after: int = 0, timeout: float = 20) -> dict[str, Any]:
        """The first ``kind`` event among those received after the first ``after``."""

        def found() -> dict[str, Any] | None:
            later = [m for _, m in self.events[after:] if m["type"] == kind]
            return later[0] if later else None

        return await self.wait(found, timeout)

    async def say(self, pcm: bytes, *, silence: float = 0.6, chunk: float = 0.02) -> None:
        """Stream ``pcm`` then ``silence`` seconds, in real time like a microphone."""
        audio = pcm + bytes(int(silence * RATE) * 2)
        step = int(chunk * RATE) * 2
        start = time.monotonic()
        for index, offset in enumerate(range(0, len(audio), step)):
            data = base64.b64encode(audio[offset : offset + step]).decode()
            await self.send({"user_audio_chunk": data})
            await asyncio.sleep(max(0.0, start + (index + 1) * chunk - time.monotonic()))

    def kinds(self) -> list[str]:
        return [message["type"] for _, message in self.events]

    async def close(self) -> None:
        await self.ws.close()
        await self._reader


async def refused(url: str, **headers: str) -> ConnectionClosed:
    """The close frame of a connection the server turns away."""
    async with connect(url, additional_headers=headers) as ws:
        with pytest.raises(ConnectionClosed) as info:
            await asyncio.wait_for(ws.recv(), 10)
    return info.value


def signed_url(base: str, agent: str = "help-desk") -> str:
    answer = httpx.get(
        base + "/v1/convai/conversation/get-signed-url",
        params={"agent_id": agent},
        headers={"xi-api-key": KEY},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["signed_url"]


async def test_signed_url_admits_once(base: str) -> None:
    url = signed_url(base)
    assert url.startswith(base.replace("http://", "ws://") + "/v1/convai/conversation?")
    async with connect(url) as ws:
        talk = Talk(ws)
        metadata = await talk.start("Hello there.")
        assert metadata["conversation_initiation_metadata_event"]["conversation_id"]
        response = await talk.next("agent_response")
        assert response["agent_response_event"] == {"agent_response": "Hello there.", "event_id": 1}
        audio = await talk.next("audio")
        assert audio["audio_event"]["event_id"] == 1
        assert base64.b64decode(audio["audio_event"]["audio_base_64"])
        assert talk.kinds()[0] == "conversation_initiation_metadata"
        await talk.close()
    closed = await refused(url)
    assert (closed.rcvd.code, closed.rcvd.reason) == (1008, "conversation signature already used")


def test_signed_url_needs_key_and_known_agent(base: str) -> None:
    endpoint = base + "/v1/convai/conversation/get-signed-url"
    assert httpx.get(endpoint, params={"agent_id": "help-desk"}).status_code == 401
    missing = httpx.get(endpoint, params={"agent_id": "nobody"}, headers={"xi-api-key": KEY})
    assert missing.status_code == 404
    assert missing.json()["detail"]["message"] == "agent 'nobody' not found"


@pytest.mark.parametrize(
    ("make_url", "headers", "reason"),
    [
        (lambda b: ws_url(b), {}, "authentication required: a signed URL or an API key"),
        (lambda b: ws_url(b), {"xi-api-key": "wrong"}, "invalid API key"),
        (lambda b: ws_url(b, "nobody"), {"xi-api-key": KEY}, "unknown agent"),
        (
            lambda b: ws_url(b, conversation_signature="abc.9999999999.forged"),
            {},
            "invalid conversation signature for this agent",
        ),
        (
            lambda b: ws_url(
                b,
                conversation_signature=ConversationSigner(
                    SECRET.encode(), clock=lambda: time.time() - 600
                ).issue("help-desk"),
            ),
            {},
            "conversation signature expired",
        ),
        (
            lambda b: signed_url(b, "public-desk").replace("public-desk", "help-desk"),
            {},
            "invalid conversation signature for this agent",
        ),
    ],
    ids=["no-credentials", "bad-key", "unknown-agent", "forged", "expired", "wrong-agent"],
)
async def test_refusals_close_with_policy_violation(
    base: str, make_url: Callable[[str], str], headers: dict[str, str], reason: str
) -> None:
    closed = await refused(make_url(base), **headers)
    assert (closed.rcvd.code, closed.rcvd.reason) == (1008, reason)


async def test_public_agent_needs_no_credentials_and_typed_text_is_answered(base: str) -> None:
    async with connect(ws_url(base, "public-desk")) as ws:
        talk = Talk(ws)
        await talk.start()
        await talk.send({"type": "contextual_update", "text": "The caller uses Windows."})
        await talk.send({"type": "user_message", "text": QUESTION})
        answer = await talk.next("agent_response")
        assert "mp3" in answer["agent_response_event"]["agent_response"]
        metrics = await talk.next("turn_metrics")
        assert metrics["turn_metrics_event"]["tts_first_audio_ms"] is not None
        assert not talk.of("user_transcript")  # typed text is not a transcript
        await talk.close()


async def test_spoken_question_gets_a_spoken_answer(base: str, speech: dict[str, bytes]) -> None:
    async with connect(ws_url(base), additional_headers={"xi-api-key": KEY}) as ws:
        talk = Talk(ws)
        await talk.start()
        await talk.say(speech[QUESTION])
        transcript = await talk.next("user_transcript")
        heard = transcript["user_transcription_event"]["user_transcript"]
        assert "audio formats" in heard
        assert talk.of("tentative_user_transcript")
        answer = await talk.next("agent_response")
        assert "mp3" in answer["agent_response_event"]["agent_response"]
        event_id = answer["agent_response_event"]["event_id"]
        assert transcript["user_transcription_event"]["event_id"] == event_id == 1
        metrics = (await talk.next("turn_metrics"))["turn_metrics_event"]
        assert metrics["event_id"] == 1
        assert 300 <= metrics["voice_to_voice_ms"] < 5000  # includes the end-of-turn silence
        assert metrics["stt_final_ms"] is not None
        await talk.close()
    async with httpx.AsyncClient(base_url=base, headers={"xi-api-key": KEY}) as client:
        exported = (await client.get("/metrics")).text
    assert 'tts_agents_agent_turn_seconds_count{stage="voice_to_voice"}' in exported


async def test_user_speech_interrupts_the_answer(base: str, speech: dict[str, bytes]) -> None:
    async with connect(ws_url(base), additional_headers={"xi-api-key": KEY}) as ws:
        talk = Talk(ws)
        await talk.start()
        await talk.send({"type": "user_message", "text": QUESTION})
        await talk.wait(lambda: len(talk.of("audio")) >= 8)  # ~0.8 s into the answer
        await talk.say(speech["How do I install it?"])
        cut = await talk.next("interruption")
        assert cut["interruption_event"]["event_id"] == 1
        position = talk.events.index(next(e for e in talk.events if e[1] is cut))
        later = [m for _, m in talk.events[position:] if m["type"] == "audio"]
        assert all(m["audio_event"]["event_id"] != 1 for m in later)
        fix = (await talk.next("agent_response_correction"))["agent_response_correction_event"]
        original, corrected = fix["original_agent_response"], fix["corrected_agent_response"]
        assert original.startswith(corrected) and 0 < len(corrected) < len(original)
        transcript = await talk.next("user_transcript", after=position)
        assert "install" in transcript["user_transcription_event"]["user_transcript"]
        answer = await talk.next("agent_response", after=position)
        assert answer["agent_response_event"]["event_id"] == 2
        metrics = [m["turn_metrics_event"] for m in talk.of("turn_metrics")]
        stops = [m["interruption_stop_ms"] for m in metrics if m["event_id"] == 1]
        assert stops[0] is None and stops[1] is not None  # first audio, then the cut
        await talk.close()


async def test_backchannel_does_not_interrupt(base: str, speech: dict[str, bytes]) -> None:
    async with connect(ws_url(base), additional_headers={"xi-api-key": KEY}) as ws:
        talk = Talk(ws)
        await talk.start()
        await talk.send({"type": "user_message", "text": QUESTION})
        await talk.wait(lambda: len(talk.of("audio")) >= 8)
        await talk.say(speech["okay"], silence=0.8)
        sent = len(talk.of("audio"))
        await talk.wait(lambda: len(talk.of("audio")) >= sent + 10)  # the answer goes on
        assert not talk.of("interruption")
        assert not talk.of("user_transcript")
        assert {m["audio_event"]["event_id"] for m in talk.of("audio")} == {1}
        await talk.close()


async def test_speech_over_the_agent_is_ignored_when_interruptions_are_off(
    base: str, speech: dict[str, bytes]
) -> None:
    async with connect(ws_url(base, "polite-desk")) as ws:
        talk = Talk(ws)
        await talk.start()
        await talk.send({"type": "user_message", "text": QUESTION})
        await talk.wait(lambda: len(talk.of("audio")) >= 8)
        await talk.say(speech["How do I install it?"])
        sent = len(talk.of("audio"))
        await talk.wait(lambda: len(talk.of("audio")) >= sent + 5)  # the server caught up
        assert not talk.of("interruption") and not talk.of("user_transcript")
        assert {m["audio_event"]["event_id"] for m in talk.of("audio")} == {1}
        await talk.close()


async def test_pings_measure_the_round_trip(base: str) -> None:
    async with connect(ws_url(base, "public-desk")) as ws:
        talk = Talk(ws)
        await talk.start()
        pings = await talk.wait(
            lambda: [m for m in talk.of("ping") if m["ping_event"]["ping_ms"] is not None], 8
        )
        assert 0 <= pings[0]["ping_event"]["ping_ms"] < 1000
        assert [m["ping_event"]["event_id"] for m in talk.of("ping")][:2] == [1, 2]
        await talk.close()


async def test_bad_messages(base: str) -> None:
    async with connect(ws_url(base, "public-desk")) as ws:
        talk = Talk(ws)
        await talk.start()
        await talk.send({"type": "no_such_thing"})
        error = await talk.next("error")
        assert error["error_event"]["code"] == "unknown_message"
        await talk.send({"type": "user_message", "text": "Is there a health check?"})
        await talk.next("agent_response")  # an unknown type does not end the session
        await ws.send("{not json")
        await talk.wait(lambda: talk.closed)
        assert (talk.closed.rcvd.code, talk.closed.rcvd.reason) == (1003, "messages must be JSON")


async def test_too_large_message_and_too_fast_audio_close_the_session(base: str) -> None:
    async with connect(ws_url(base, "public-desk"), max_size=None) as ws:
        talk = Talk(ws)
        await talk.start()
        await ws.send(json.dumps({"type": "user_message", "text": "x" * 70_000}))
        await talk.wait(lambda: talk.closed)
        assert talk.closed.rcvd.code == 1009
    async with connect(ws_url(base, "public-desk")) as ws:
        talk = Talk(ws)
        await talk.start()
        second = base64.b64encode(bytes(RATE * 2)).decode()
        for _ in range(12):  # 12 s of audio at once: far faster than real time
            await talk.send({"user_audio_chunk": second})
        await talk.wait(lambda: talk.closed)
        rcvd = talk.closed.rcvd
        assert (rcvd.code, rcvd.reason) == (1008, "audio arrives faster than real time")


async def test_idle_session_is_closed(base: str) -> None:
    async with connect(ws_url(base, "idle-desk")) as ws:
        talk = Talk(ws)
        await talk.start()
        await talk.wait(lambda: talk.closed, timeout=10)
        assert (talk.closed.rcvd.code, talk.closed.rcvd.reason) == (1000, "idle timeout")


async def test_concurrent_conversations_are_capped() -> None:
    settings = ServerSettings(
        api_keys=(KEY,), agents=(load_agent(default_agent_path()),), max_conversations=1
    )
    with running_server(create_app(settings)) as url:
        async with connect(ws_url(url), additional_headers={"xi-api-key": KEY}) as ws:
            talk = Talk(ws)
            await talk.start()
            closed = await refused(ws_url(url), **{"xi-api-key": KEY})
            assert (closed.rcvd.code, closed.rcvd.reason) == (
                1013,
                "too many conversations; try again later",
            )
            await talk.close()


async def test_goodbye_ends_the_conversation(base: str) -> None:
    async with connect(ws_url(base, "public-desk")) as ws:
        talk = Talk(ws)
        await talk.start()
        await talk.send({"type": "user_message", "text": "Goodbye!"})
        answer = await talk.next("agent_response")
        assert "Goodbye" in answer["agent_response_event"]["agent_response"]
        await talk.wait(lambda: talk.closed)
        rcvd = talk.closed.rcvd
        assert (rcvd.code, rcvd.reason) == (1000, "the agent ended the conversation")
        assert talk.of("audio")  # the goodbye was spoken before the close


def test_serve_refuses_a_bad_agent_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: Not An Id\nname: x\n", encoding="utf-8")
    result = run_cli("serve", "--agent", str(bad))
    assert result.returncode == 2
    message = result.stderr.decode()
    assert "bad.yaml" in message and "id" in message


def test_sentences_come_out_as_the_text_streams_in() -> None:
    splitter = SentenceSplitter()
    pieces = [splitter.push(token) for token in ("Sure, ", "mp3 is ", "the default. ", "Also")]
    # "Sure, " is too short a first piece (under 12 characters): the sentence goes whole.
    assert pieces == [[], [], [(0, 26)], []]
    # Later pieces are whole sentences; "e.g." does not end one.
    assert splitter.push(" wav, e.g. at 16 kHz. Done") == [(26, 52)]
    assert splitter.flush() == (52, 56)
    assert splitter.text[26:52] == "Also wav, e.g. at 16 kHz. "


@pytest.mark.parametrize(
    ("heard", "speech", "final", "decision"),
    [
        ("okay", 0.4, True, BargeIn.IGNORE),  # a backchannel
        ("queue you", 0.45, True, BargeIn.IGNORE),  # too short to tell from one
        ("uh huh yeah", 1.0, True, BargeIn.IGNORE),
        ("how do i install it", 1.1, True, BargeIn.INTERRUPT),
        ("how do i", 0.8, False, BargeIn.INTERRUPT),
        ("how", 0.3, False, BargeIn.WAIT),
        ("formats", 0.9, False, BargeIn.WAIT),  # maybe the agent's own voice: hear more
        ("six audio formats m p three", 1.2, True, BargeIn.IGNORE),  # an echo
    ],
)
def test_barge_in_decisions(heard: str, speech: float, final: bool, decision: BargeIn) -> None:
    policy = BargeInPolicy.from_phrases(["yeah", "okay", "uh huh"])
    agent = "t t s agents can make six audio formats m p three opus and flack"
    assert policy.decide(heard, agent, speech, final=final) is decision


def test_signed_tokens_are_bound_single_use_and_expiring() -> None:
    now = [1000.0]
    signer = ConversationSigner(b"k" * 32, ttl=60, clock=lambda: now[0], max_redeemed=2)
    first, second, third = (signer.issue("a") for _ in range(3))
    with pytest.raises(TokenRefused, match="invalid conversation signature"):
        signer.redeem(first, "b")
    signer.redeem(first, "a")
    with pytest.raises(TokenRefused, match="already used"):
        signer.redeem(first, "a")
    signer.redeem(second, "a")
    with pytest.raises(TokenRefused, match="too many"):  # memory full: refuse, never forget
        signer.redeem(third, "a")
    now[0] += 61
    with pytest.raises(TokenRefused, match="expired"):
        signer.redeem(third, "a")
    signer.redeem(signer.issue("a"), "a")  # expired nonces were forgotten
    with pytest.raises(ValueError, match="within 900"):
        ConversationSigner(ttl=901)
    nonce, _, signature = signer.issue("a").split(".")
    with pytest.raises(TokenRefused, match="malformed"):  # int() takes "²"; we must not
        signer.redeem(f"{nonce}.\u00b2.{signature}", "a")


def test_audio_budget_allows_twice_real_time() -> None:
    now = [0.0]
    budget = AudioBudget(rate=2.0, burst=1.0, clock=lambda: now[0])
    assert budget.take(1.0) and not budget.take(0.1)
    now[0] += 0.5  # half a second refills a second of audio
    assert budget.take(1.0) and not budget.take(0.1)


async def test_an_interrupted_goodbye_does_not_end_the_next_answer() -> None:
    import json as _json

    from tts_agents.agent.config import default_agent_path, load_agent
    from tts_agents.agent.session.conversation import ConversationSession
    from tts_agents.agent.session.runtime import build_runtime

    runtime = await build_runtime(load_agent(default_agent_path()))
    inbox: asyncio.Queue[str | None] = asyncio.Queue()
    sent: list[dict] = []

    async def send_text(text: str) -> None:
        sent.append(_json.loads(text))

    session = ConversationSession(runtime, send_text=send_text)
    task = asyncio.create_task(session.run(inbox.get))
    init = {"type": "conversation_initiation_client_data"}
    init["conversation_config_override"] = {"agent": {"first_message": ""}}
    for message, pause in (
        (init, 0.1),
        ({"type": "user_message", "text": "goodbye"}, 0.3),
        ({"type": "user_message", "text": "What audio formats can you make?"}, 0.0),
    ):
        await inbox.put(_json.dumps(message))
        await asyncio.sleep(pause)
    answers = []
    for _ in range(200):  # the second answer, then time for it to play out
        answers = [e for e in sent if e["type"] == "agent_response"]
        if len(answers) == 2:
            break
        await asyncio.sleep(0.05)
    audio_events = -1
    for _ in range(40):  # until its audio has all been sent (paced to real time) and played
        count = sum(e["type"] == "audio" for e in sent)
        if count == audio_events:
            break
        audio_events = count
        await asyncio.sleep(1.0)
    await asyncio.sleep(1.0)
    try:
        assert "formats" in answers[-1]["agent_response_event"]["agent_response"]
        assert any(e["type"] == "interruption" for e in sent)
        assert not task.done()  # the cut goodbye did not hang up after the next answer
    finally:
        await inbox.put(None)
        await asyncio.wait_for(task, 10)
        await runtime.aclose()


async def test_overrides_apply_only_where_the_agent_allows_them(base: str) -> None:
    async with connect(ws_url(base, "strict-desk")) as ws:
        talk = Talk(ws)
        await talk.start("Say my words instead.")
        refusal = await talk.next("error")
        assert refusal["error_event"]["code"] == "override_not_allowed"
        greeting = (await talk.next("agent_response"))["agent_response_event"]["agent_response"]
        assert greeting.startswith("Hi! I'm the TTS Agents help desk")
        await talk.close()


async def test_dynamic_variables_cannot_blow_up_the_first_message(base: str) -> None:
    async with connect(ws_url(base, "public-desk")) as ws:  # first_message may be overridden
        talk = Talk(ws)
        huge = {"a": "word " * 11000}
        await talk.send(
            {
                "type": "conversation_initiation_client_data",
                "conversation_config_override": {"agent": {"first_message": "{{a}}" * 800}},
                "dynamic_variables": huge,
            }
        )
        await talk.wait(lambda: talk.closed is not None, timeout=10)
        assert talk.closed is not None and talk.closed.rcvd.code == 1008
        assert talk.of("error")[0]["error_event"]["code"] == "invalid_dynamic_variables"
        assert not talk.of("agent_response")
    async with connect(ws_url(base, "public-desk")) as ws:  # within limits: cut after substitution
        talk = Talk(ws)
        await talk.send(
            {
                "type": "conversation_initiation_client_data",
                "conversation_config_override": {"agent": {"first_message": "{{a}} " * 800}},
                "dynamic_variables": {"a": "x" * 1000},
            }
        )
        greeting = (await talk.next("agent_response"))["agent_response_event"]["agent_response"]
        assert len(greeting) <= 4096
        await talk.close()
