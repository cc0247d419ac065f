"""The brains: offline answers from transcripts, built-in intents, and the LLM brain against
a fake OpenAI-compatible server (streaming, webhook and client tools, failures)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.fake_llm import FakeLLM, stream, text_events, tool_call_events
from tests.fakes.http_server import FakeServer, Reply, Request, unused_port
from tts_agents.agent.brain import (
    Brain,
    BrainEvent,
    EndConversation,
    TextDelta,
    ToolUse,
    Turn,
    create_brain,
)
from tts_agents.agent.brain.llm import SPOKEN_STYLE, LLMBrain
from tts_agents.agent.brain.offline import OfflineBrain
from tts_agents.agent.brain.spoken import sentences, spoken_words
from tts_agents.agent.brain.tools import call_webhook, host_problem
from tts_agents.agent.config import AgentConfig, ToolSettings, default_agent_path, load_agent

# Every example question of the default agent -> words its answer must contain.
EXPECTED = {
    "What is TTS Agents?": ("offline", "speech"),
    "Is it free?": ("free",),
    "How do I install it?": ("pip install",),
    "Which Python version do I need?": ("3.10",),
    "Do I need an API key?": ("not need an api key",),
    "Does it work offline?": ("offline",),
    "Can I use it without the internet?": ("offline",),
    "What voices are there?": ("alloy",),
    "What is the default voice?": ("alloy",),
    "Which voices are male?": ("echo", "onyx"),
    "How many languages does it speak?": ("100 languages",),
    "Can it speak French?": ("french",),
    "How do I list the voices?": ("tts-agents voices",),
    "What audio formats can you make?": ("mp3", "opus", "flac"),
    "What is the default format?": ("mp3",),
    "Can I change the sample rate?": ("sample-rate",),
    "Does it support telephone audio?": ("u-law",),
    "How do I make it talk faster?": ("speed",),
    "What speeds are allowed?": ("0.25", "4.0"),
    "Can I change the pitch?": ("pitch",),
    "How do I make an mp3 from the command line?": ("tts-agents generate",),
    "Can I read text from standard input?": ("standard input",),
    "How do I turn a whole book into audio?": ("tts-agents file",),
    "What commands are there?": ("generate", "batch", "serve"),
    "What do the exit codes mean?": ("exit code",),
    "How long can the text be?": ("4096",),
    "How do I use it from Python?": ("ttsagent",),
    "Does streaming work?": ("stream",),
    "How do I make subtitles?": ("srt",),
    "Can I get word timestamps?": ("timestamps",),
    "Do you support SSML?": ("ssml",),
    "How do I add a pause?": ("break",),
    "How do I convert a lot of texts at once?": ("batch",),
    "What happens if a batch crashes?": ("resume",),
    "Can I run a batch on a Ray cluster?": ("ray",),
    "Can I use OpenAI voices in the cloud?": ("openai",),
    "Where does the ElevenLabs key go?": ("elevenlabs api key",),
    "What is a fallback chain?": ("in order",),
    "How do I start the server?": ("tts-agents serve",),
    "Which port does the server use?": ("8000",),
    "Does the server work with the OpenAI SDK?": ("openai",),
    "Does it work with the ElevenLabs SDK?": ("elevenlabs",),
    "How do I set an API key for the server?": ("tts agents api keys",),
    "Can I turn off authentication?": ("no-auth",),
    "How do I enable HTTPS?": ("ssl-certfile",),
    "Is there a health check?": ("health",),
    "What happens when there are too many requests?": ("429",),
    "Are my keys safe?": ("never logged",),
    "What is the voice agent?": ("microphone",),
    "Can I interrupt you?": ("interrupt",),
    "How do I make my own agent?": ("yaml",),
    "Can the agent use a large language model?": ("llm",),
    "Do you record my voice?": ("record",),
    "How fast is it?": ("fast",),
    "What models are there?": ("tts-1",),
}

# Transcript-like questions: lower-case, no punctuation, a slip or a wrong word or two.
MISHEARD = [
    ("how do i instal it", ("pip install",)),
    ("does it work of line", ("offline",)),
    ("what audio format can you bake", ("mp3",)),
    ("which sample rates does opus support", ("48",)),
    ("how do i make sub titles", ("srt",)),
    ("what port does the server used", ("8000",)),
    ("how do i get time stamps for each word", ("timestamps",)),
    ("can i make it speak slower", ("speed",)),
    ("is there a way to resume a crashed badge", ("resume",)),
    ("where do i put my open a i key", ("openai api key",)),
    ("what is the maximum text lengths", ("4096",)),
    ("does it support s s m l tags", ("ssml",)),
]

# Paraphrases that are not example questions.
PARAPHRASES = [
    ("how much does it cost", ("free",)),
    ("what license is it under", ("mit",)),
    ("can i stop you while you are talking", ("interrupt",)),
    ("is the voice agent recording me", ("record",)),
    ("how do i change the voice", ("voice",)),
    ("what happens if the cloud is down", ("in order",)),
    ("can i pipe text into it", ("standard input",)),
    ("how do i get a british accent", ("en-gb",)),
    ("what bit rate is the mp3", ("64 kilobits",)),
    ("how do i allow my website to call the server", ("cors-origin",)),
    ("which engine is the default", ("espeak",)),
]

OUT_OF_DOMAIN = [
    "what is the weather like in paris",
    "who won the football game yesterday",
    "can you order me a pizza",
    "what is two plus two",
    "what is the capital of france",
    "set an alarm for seven",
    "how do i bake bread",
]

KEY = "sk-test-llm-canary-7f3a9c0d1e2b"


@pytest.fixture(scope="module")
def agent() -> AgentConfig:
    return load_agent(default_agent_path())


@pytest.fixture
def brain(agent: AgentConfig) -> OfflineBrain:
    return OfflineBrain(agent, clock=lambda: datetime(2025, 6, 4, 15, 10))


def ask(brain: OfflineBrain, *said: str) -> str:
    return brain.answer([Turn("user", text) for text in said]).text


async def collect(brain: Brain, history: Sequence[Turn], **options: Any) -> list[BrainEvent]:
    return [event async for event in brain.reply(history, **options)]


def joined(events: Sequence[BrainEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def assert_speakable(answer: str) -> None:
    assert not re.search(r"[*#`|<>\[\]_]", answer), answer
    assert 1 <= len(sentences(answer)) <= 3, answer
    assert len(answer) <= 300, answer


def test_expected_table_covers_every_example(agent: AgentConfig) -> None:
    assert set(EXPECTED) == set(agent.examples)


@pytest.mark.parametrize("question", list(EXPECTED))
def test_example_questions_as_transcripts(brain: OfflineBrain, question: str) -> None:
    answer = ask(brain, spoken_words(question))
    assert all(word in answer.lower() for word in EXPECTED[question]), answer
    assert_speakable(answer)


@pytest.mark.parametrize(("question", "words"), MISHEARD + PARAPHRASES)
def test_misheard_and_paraphrased_questions(
    agent: AgentConfig, brain: OfflineBrain, question: str, words: tuple[str, ...]
) -> None:
    assert question not in {spoken_words(example) for example in agent.examples}
    answer = ask(brain, question)
    assert all(word in answer.lower() for word in words), answer


@pytest.mark.parametrize("question", OUT_OF_DOMAIN)
def test_out_of_domain_is_an_honest_dont_know(brain: OfflineBrain, question: str) -> None:
    answer = ask(brain, question)
    assert answer.startswith("I don't know that one, but I can tell you about "), answer
    assert "installing" in answer
    assert_speakable(answer)


def test_greeting_help_thanks(brain: OfflineBrain) -> None:
    assert ask(brain, "hello") == "Hello! What would you like to know?"
    assert ask(brain, "hi there how are you").startswith("I'm doing well")
    assert ask(brain, "thank you very much").startswith("You're welcome")
    help_text = ask(brain, "what can you do")
    assert "installing" in help_text and "For example, ask me: What is TTS Agents?" in help_text
    # A greeting in front of a real question: the question is answered.
    answer = ask(brain, "hello how do i install it")
    assert answer.startswith("Hello! ") and "pip install" in answer


def test_repeat_that(brain: OfflineBrain) -> None:
    history = [
        Turn("agent", "Hi! Ask me anything."),
        Turn("user", "what is the default format"),
        Turn("agent", "mp3 is the default format."),
        Turn("context", "the user scrolled"),
        Turn("user", "sorry can you say that again"),
    ]
    assert brain.answer(history).text == "mp3 is the default format."
    assert "haven't said anything" in ask(brain, "repeat that")


def test_time_and_date(brain: OfflineBrain) -> None:
    assert ask(brain, "what time is it") == "It's three ten in the afternoon."
    assert ask(brain, "what is the date today") == (
        "Today is Wednesday, June fourth, twenty twenty five."
    )
    assert ask(brain, "what day is it").startswith("Today is Wednesday")


@pytest.mark.parametrize("said", ["goodbye", "okay thanks bye", "good by", "that is all for now"])
async def test_goodbye_ends_the_conversation(brain: OfflineBrain, said: str) -> None:
    events = await collect(brain, [Turn("user", said)])
    assert isinstance(events[-1], EndConversation)
    assert joined(events) == "Goodbye, and thanks for calling!"


async def test_goodbye_inside_a_question_does_not_end(brain: OfflineBrain) -> None:
    events = await collect(
        brain, [Turn("user", "i am done with the install how do i start the server")]
    )
    assert not any(isinstance(e, EndConversation) for e in events)
    assert "server" in joined(events)


async def test_reply_streams_sentences_and_unheard_input(brain: OfflineBrain) -> None:
    events = await collect(brain, [Turn("user", "do you support s s m l")])
    assert len(events) >= 2 and all(isinstance(e, TextDelta) for e in events)
    assert joined(events) == ask(brain, "do you support s s m l")
    assert "didn't catch that" in ask(brain, "  ")


def test_context_updates_are_knowledge(brain: OfflineBrain) -> None:
    question = Turn("user", "when does my order ship")
    assert "don't know" in brain.answer([question]).text
    context = Turn("context", "The caller's order number 4521 ships on Friday.")
    assert "Friday" in brain.answer([context, question]).text


# --- the LLM brain, against a fake OpenAI-compatible server -------------------------------


def llm_agent(folder: Path, base_url: str, extra: str = "", timeout: float = 5) -> AgentConfig:
    kb = default_agent_path().parent / "knowledge" / "tts_agents.md"
    path = folder / "llm_agent.yaml"
    path.write_text(
        "id: llm-test\nname: LLM test\n"
        "system_prompt: You are the TTS Agents help desk.\n"
        f"knowledge_base: ['{kb}']\n"
        f"llm: {{base_url: '{base_url}', model: fake-model, api_key_env: TEST_LLM_KEY,"
        f" timeout_s: {timeout}}}\n" + extra
    )
    return load_agent(path)


@pytest.fixture(autouse=True)
def llm_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_LLM_KEY", KEY)


def orders_webhook(request: Request) -> Reply:
    if request.path.startswith("/redirect"):
        return Reply(302, {"location": "https://evil.example/steal"}, [], content_length=0)
    return Reply.json(200, {"order": request.path.rsplit("/", 1)[-1], "ships": "Friday"})


def tools_yaml(port: int, path: str = "/orders/{order_id}") -> str:
    return (
        "tools:\n"
        "  - {name: order_status, type: webhook, description: Shipping status of an order,"
        f" url: 'http://127.0.0.1:{port}{path}', method: GET, allowed_hosts: ['127.0.0.1'],"
        " parameters: {type: object, properties: {order_id: {type: string}}}}\n"
        "  - {name: open_map, type: client, description: Show a map in the app, timeout_s: 2}\n"
    )


async def test_llm_streams_tokens_with_prompt_facts_and_key(tmp_path: Path) -> None:
    with FakeLLM([stream(text_events("It listens on port 8000 by default."))]) as llm:
        brain = create_brain(llm_agent(tmp_path, llm.base_url))
        assert isinstance(brain, LLMBrain)
        history = [Turn("agent", "Hi!"), Turn("user", "which port does the server use")]
        events = await collect(brain, history)
        await brain.aclose()
    assert len(events) == 7 and joined(events) == "It listens on port 8000 by default."
    (chat,) = llm.chats
    assert chat["stream"] is True and chat["model"] == "fake-model"
    system = chat["messages"][0]
    assert system["role"] == "system" and SPOKEN_STYLE in system["content"]
    assert "You are the TTS Agents help desk." in system["content"]
    assert "port 8000" in system["content"]  # the best knowledge-base passage
    assert chat["messages"][1:] == [
        {"role": "assistant", "content": "Hi!"},
        {"role": "user", "content": "which port does the server use"},
    ]
    assert llm.requests[0].headers["authorization"] == f"Bearer {KEY}"


async def test_llm_calls_a_webhook_tool_and_continues(tmp_path: Path) -> None:
    with FakeServer(orders_webhook) as hook:
        script = [
            stream(tool_call_events("order_status", {"order_id": "A-17"})),
            stream(text_events("Order A-17 ships on Friday.")),
        ]
        with FakeLLM(script) as llm:
            brain = create_brain(llm_agent(tmp_path, llm.base_url, tools_yaml(hook.port)))
            events = await collect(brain, [Turn("user", "where is my order a seventeen")])
            await brain.aclose()
    assert joined(events) == "Order A-17 ships on Friday."
    assert [r.path for r in hook.requests] == ["/orders/A-17"]
    first, second = llm.chats
    assert {tool["function"]["name"] for tool in first["tools"]} == {"order_status", "open_map"}
    call, result = second["messages"][-2:]
    assert call["tool_calls"][0]["function"] == {
        "name": "order_status",
        "arguments": json.dumps({"order_id": "A-17"}),
    }
    assert result["role"] == "tool" and result["tool_call_id"] == "call_1"
    assert json.loads(result["content"]) == {"order": "A-17", "ships": "Friday"}
    # the server ran it, so the session hears of it (for the conversation record)
    (use,) = [event for event in events if isinstance(event, ToolUse)]
    assert (use.tool_call_id, use.name, use.params) == (
        "call_1",
        "order_status",
        {"order_id": "A-17"},
    )
    assert json.loads(use.result) == {"order": "A-17", "ships": "Friday"} and not use.is_error


async def test_llm_calls_a_client_tool(tmp_path: Path) -> None:
    calls: list[tuple[str, dict[str, Any], float]] = []

    async def client_tool(
        name: str, parameters: dict[str, Any], *, timeout: float
    ) -> tuple[str, bool]:
        calls.append((name, parameters, timeout))
        return "The map is open.", False

    script = [
        stream(tool_call_events("open_map", {"place": "Berlin"}, call_id="c9")),
        stream(text_events("I opened the map.")),
    ]
    with FakeLLM(script) as llm:
        brain = create_brain(llm_agent(tmp_path, llm.base_url, tools_yaml(unused_port())))
        events = await collect(
            brain, [Turn("user", "show me berlin")], call_client_tool=client_tool
        )
        await brain.aclose()
    assert calls == [("open_map", {"place": "Berlin"}, 2.0)]
    assert joined(events) == "I opened the map."
    assert not [event for event in events if isinstance(event, ToolUse)]  # the client knows
    assert llm.chats[1]["messages"][-1] == {
        "role": "tool",
        "tool_call_id": "c9",
        "content": "The map is open.",
    }


async def test_webhook_redirect_to_another_host_is_refused(tmp_path: Path) -> None:
    with FakeServer(orders_webhook) as hook:
        script = [
            stream(tool_call_events("order_status", {"order_id": "1"})),
            stream(text_events("Sorry, I could not check that.")),
        ]
        with FakeLLM(script) as llm:
            extra = tools_yaml(hook.port, "/redirect/{order_id}")
            brain = create_brain(llm_agent(tmp_path, llm.base_url, extra))
            await collect(brain, [Turn("user", "where is order one")])
            await brain.aclose()
    assert len(hook.requests) == 1  # the redirect was not followed
    result = llm.chats[1]["messages"][-1]["content"]
    assert "refused" in result and "evil.example" in result


async def test_webhook_arguments_cannot_change_the_host(tmp_path: Path) -> None:
    with FakeServer(orders_webhook) as hook:
        script = [
            stream(tool_call_events("order_status", {"order_id": "../x@evil.example:80/y"})),
            stream(text_events("Done.")),
        ]
        with FakeLLM(script) as llm:
            brain = create_brain(llm_agent(tmp_path, llm.base_url, tools_yaml(hook.port)))
            await collect(brain, [Turn("user", "check it")])
            await brain.aclose()
    assert [r.path for r in hook.requests] == ["/orders/..%2Fx%40evil.example%3A80%2Fy"]


def slow_or_big(request: Request) -> Reply:
    if request.path == "/slow":
        return Reply.json(200, {"late": True}, delay=3.0)
    if request.path == "/big":
        return Reply(200, {"content-type": "text/plain"}, [b"x" * 4096] * 10)
    if request.path == "/fail":
        return Reply.json(500, {"error": "database down"})
    return Reply.json(200, {"query": dict(request.query)})


def webhook(port: int, path: str, **options: Any) -> ToolSettings:
    return ToolSettings.model_validate(
        {
            "name": "probe",
            "type": "webhook",
            "description": "d",
            "url": f"http://127.0.0.1:{port}{path}",
            "allowed_hosts": ["127.0.0.1"],
            "method": "GET",
            **options,
        }
    )


async def test_webhook_timeout_size_cap_errors_and_query() -> None:
    async with httpx.AsyncClient() as client:
        with FakeServer(slow_or_big) as server:
            slow = await call_webhook(webhook(server.port, "/slow", timeout_s=0.5), {}, client)
            big = await call_webhook(
                webhook(server.port, "/big", max_response_bytes=10_000), {}, client
            )
            failed = await call_webhook(webhook(server.port, "/fail"), {}, client)
            query = await call_webhook(
                webhook(server.port, "/q"), {"city": "Berlin", "days": 2, "tags": ["a"]}, client
            )
    assert slow.is_error and "timed out after 0.5 s" in slow.text
    assert big.is_error and "larger than 10000 bytes" in big.text
    assert failed.is_error and "HTTP 500" in failed.text and "database down" in failed.text
    assert not query.is_error
    assert json.loads(query.text) == {"query": {"city": "Berlin", "days": "2", "tags": '["a"]'}}


async def test_llm_asking_for_an_unknown_tool_gets_an_error_result(tmp_path: Path) -> None:
    script = [
        stream(tool_call_events("delete_everything", {})),
        stream(text_events("I can't do that.")),
    ]
    with FakeLLM(script) as llm:
        brain = create_brain(llm_agent(tmp_path, llm.base_url))
        events = await collect(brain, [Turn("user", "delete everything")])
        await brain.aclose()
    assert joined(events) == "I can't do that."
    assert "tools" not in llm.chats[0]  # the agent has none to offer
    assert llm.chats[1]["messages"][-1]["content"] == "there is no tool named 'delete_everything'"


def test_host_problem() -> None:
    allowed = ("api.example.com", "127.0.0.1")
    assert host_problem("https://api.example.com/x", allowed) is None
    assert host_problem("http://127.0.0.1:9/x", allowed) is None
    assert "not in the tool's allowed_hosts" in (
        host_problem("https://evil.example/", allowed) or ""
    )
    assert "https is required" in (host_problem("http://api.example.com/x", allowed) or "")
    assert "credentials" in (host_problem("https://u:p@api.example.com/", allowed) or "")


async def test_llm_cut_mid_answer_continues_offline(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cut = stream(text_events("The server listens on a port that you can"), cut_after=5)
    with FakeLLM([cut]) as llm, caplog.at_level(logging.WARNING):
        brain = create_brain(llm_agent(tmp_path, llm.base_url))
        events = await collect(brain, [Turn("user", "which port does the server use")])
        await brain.aclose()
    text = joined(events)
    assert text.startswith("The server listens on")
    assert text.endswith(ask(OfflineBrain(brain.agent), "which port does the server use"))
    assert "8000" in text
    assert "LLM at 127.0.0.1 failed" in caplog.text and "answering this turn offline" in caplog.text
    assert KEY not in caplog.text


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply.json(503, {"error": {"message": "overloaded"}}), "HTTP 503: overloaded"),
        (Reply.json(401, {"error": {"message": f"bad key {KEY}"}}), "HTTP 401"),
        (stream([b"data: {not json\n\n"]), "malformed stream"),
        (stream([]), "the stream ended before the answer did"),
        (Reply(reset=True), "connection failed"),
        (stream(text_events("late")), "timed out"),
    ],
)
async def test_llm_failure_before_the_answer_falls_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, reply: Reply, reason: str
) -> None:
    slow = reason == "timed out"
    if slow:
        reply.delay = 3.0
    with FakeLLM([reply]) as llm, caplog.at_level(logging.WARNING):
        brain = create_brain(llm_agent(tmp_path, llm.base_url, timeout=1 if slow else 5))
        events = await collect(brain, [Turn("user", "how do i install it")])
        await brain.aclose()
    assert joined(events) == ask(OfflineBrain(brain.agent), "how do i install it")
    assert reason in caplog.text
    assert KEY not in caplog.text


async def test_llm_unreachable_falls_back(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    brain = create_brain(llm_agent(tmp_path, f"http://127.0.0.1:{unused_port()}/v1"))
    with caplog.at_level(logging.WARNING):
        events = await collect(brain, [Turn("user", "is it free")])
    await brain.aclose()
    assert "free" in joined(events) and "connection failed (ConnectError)" in caplog.text


async def test_llm_goodbye_ends_without_asking_the_llm(tmp_path: Path) -> None:
    with FakeLLM([]) as llm:
        brain = create_brain(llm_agent(tmp_path, llm.base_url))
        events = await collect(brain, [Turn("user", "okay thanks goodbye")])
        await brain.aclose()
    assert isinstance(events[-1], EndConversation) and not llm.chats


async def test_closing_the_reply_stops_the_stream_promptly(tmp_path: Path) -> None:
    slow = stream(text_events(" ".join(["word"] * 40)), chunk_delay=0.25)
    with FakeLLM([slow]) as llm:
        brain = create_brain(llm_agent(tmp_path, llm.base_url))
        replies = brain.reply([Turn("user", "talk for a while")])
        first = await replies.__anext__()
        started = time.monotonic()
        await replies.aclose()
        closed_after = time.monotonic() - started
        await brain.aclose()
    assert isinstance(first, TextDelta)
    assert closed_after < 2.0  # the 10 s stream was abandoned, not read to the end


async def test_cancelling_the_task_stops_the_reply(tmp_path: Path) -> None:
    slow = stream(text_events(" ".join(["word"] * 40)), chunk_delay=0.25)
    with FakeLLM([slow]) as llm:
        brain = create_brain(llm_agent(tmp_path, llm.base_url))
        task = asyncio.create_task(collect(brain, [Turn("user", "talk for a while")]))
        await asyncio.sleep(0.5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await brain.aclose()
