"""Agent YAML: the default agent, every kind of bad config, and the STT domain sentences."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import tts_agents
from tts_agents.agent.brain import create_brain
from tts_agents.agent.brain.knowledge import parse_passages
from tts_agents.agent.brain.spoken import number_words, sentences, spoken_words
from tts_agents.agent.config import (
    AgentConfig,
    default_agent_path,
    domain_sentences,
    knowledge_texts,
    load_agent,
)
from tts_agents.errors import TTSConfigError

BASE = "id: t1\nname: Test agent\n"
WEBHOOK = "{name: lookup, type: webhook, description: Look up an order"


def write_agent(folder: Path, text: str) -> Path:
    (folder / "kb").mkdir(exist_ok=True)
    (folder / "kb" / "facts.md").write_text("## Orders\n- Orders ship on Fridays.\n")
    (folder / "kb" / "notes.pdf").write_bytes(b"%PDF-1.4")
    path = folder / "my_agent.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def config_error(folder: Path, text: str) -> str:
    with pytest.raises(TTSConfigError) as caught:
        load_agent(write_agent(folder, text))
    return caught.value.message


@pytest.fixture(scope="module")
def default_agent() -> AgentConfig:
    return load_agent(default_agent_path())


# Each row: YAML text -> the key path and the problem the one-line error must name.
BAD_CONFIGS = [
    (
        BASE + "turn: {end_of_turn_silence_ms: 50}\n",
        "turn.end_of_turn_silence_ms",
        "between 100 and 3000",
    ),
    (
        BASE + "turn: {end_of_turn_silence_ms: 5000}\n",
        "turn.end_of_turn_silence_ms",
        "between 100 and 3000",
    ),
    (
        BASE + "turn:\n  end_of_turn_silence: 300\n",
        "turn.end_of_turn_silence",
        "did you mean 'end_of_turn_silence_ms'",
    ),
    (BASE + "colour: blue\n", "colour", "unknown key"),
    (BASE + "voice: {name: nobody}\n", "voice.name", "unknown voice 'nobody'"),
    (BASE + "voice: {name: alloy, speed: 9}\n", "voice.speed", "between 0.25 and 4.0"),
    (BASE + "voice: {engine: nope}\n", "voice.engine", "unknown engine 'nope'"),
    (BASE + "voice: {engine: openai, name: zed}\n", "voice.name", "unknown OpenAI voice"),
    (BASE + "voice: nobody\n", "voice.name", "unknown voice 'nobody'"),
    (BASE + "voice: [alloy]\n", "voice", "must be a voice name (voice: nova) or a mapping"),
    (BASE + "language: xx\nstt: {engine: openai}\n", "language", "unknown language 'xx'"),
    (
        BASE + "language: fr\nstt: {engine: pocketsphinx}\n",
        "stt.engine",
        "pocketsphinx only understands English",
    ),
    (BASE + "knowledge_base: [kb/missing.md]\n", "knowledge_base[0]", "'kb/missing.md' not found"),
    (
        BASE + "knowledge_base: [kb/facts.md, kb/notes.pdf]\n",
        "knowledge_base[1]",
        "must be a .md or .txt file",
    ),
    (
        BASE + "llm: {base_url: 'http://llm.example.com/v1', model: m}\n",
        "llm.base_url",
        "must use https://",
    ),
    (
        BASE + "llm: {base_url: 'ftp://llm.example.com/v1', model: m}\n",
        "llm.base_url",
        "http(s) URL",
    ),
    (BASE + "llm: {base_url: 'https://llm.example.com/v1'}\n", "llm.model", "is required"),
    (
        BASE + "llm: {base_url: 'https://x.example/v1', model: m, api_key: sk-abcdef}\n",
        "llm.api_key",
        "never put a key in the file",
    ),
    (
        BASE + "llm: {base_url: 'https://x.example/v1', model: m, api_key_env: sk-abcdef12345}\n",
        "llm.api_key_env",
        "NAME of an environment variable",
    ),
    (
        BASE + "llm: {base_url: 'https://x.example/v1', model: m, temperature: 3}\n",
        "llm.temperature",
        "between 0.0 and 2.0",
    ),
    (
        BASE
        + "tools:\n  - "
        + WEBHOOK
        + ", url: 'https://evil.example/x', allowed_hosts: [api.example.com]}\n",
        "tools[0].url",
        "host 'evil.example' is not in this tool's allowed_hosts",
    ),
    (
        BASE
        + "tools:\n  - "
        + WEBHOOK
        + ", url: 'http://api.example.com/x', allowed_hosts: [api.example.com]}\n",
        "tools[0].url",
        "must use https://",
    ),
    (BASE + "tools:\n  - " + WEBHOOK + "}\n", "tools[0].url", "is required for a webhook tool"),
    (
        BASE + "tools:\n  - {name: a, type: client, description: d, url: 'https://a.example/'}\n",
        "tools[0].url",
        "a client tool has no url",
    ),
    (
        BASE + "tools:\n  - {name: a, type: client, description: d}\n"
        "  - {name: a, type: client, description: e}\n",
        "tools[1].name",
        "duplicate tool name 'a'",
    ),
    (
        BASE + "tools:\n  - {name: a, type: magic, description: d}\n",
        "tools[0].type",
        "'webhook' or 'client'",
    ),
    (
        BASE + "tools:\n  - {name: a, type: client, description: d, parameters: {type: string}}\n",
        "tools[0].parameters",
        "type: object",
    ),
    (
        BASE + "privacy: {record_audio: true, recordings_dir: recordings}\n",
        "privacy",
        "recordings_dir is gone: recorded audio is kept encrypted",
    ),
    (BASE + "privacy: {consent: maybe}\n", "privacy.consent", "'notice' or 'none'"),
    (BASE + "privacy: {retention_days: -2}\n", "privacy.retention_days.transcripts", "-1"),
    (BASE + "privacy: {redact: ['[']}\n", "privacy.redact", "neither one of card_number"),
    (BASE + "stt: {engine: vosk}\n", "stt.engine", "'pocketsphinx' or 'openai'"),
    (
        BASE + "stt: {engine: pocketsphinx, model: whisper-1}\n",
        "stt.model",
        "only used with engine: whisper or openai",
    ),
    (BASE + "stt: {engine: whisper, model: huge}\n", "stt.model", "must be one of base, tiny.en"),
    (
        BASE + "stt: {engine: whisper, api_key_env: KEY}\n",
        "stt.api_key_env",
        "only used with engine: openai",
    ),
    (
        BASE + "stt: {engine: openai, base_url: 'http://stt.example.com/v1'}\n",
        "stt.base_url",
        "must use https://",
    ),
    (BASE + "session: {max_duration_s: 1}\n", "session.max_duration_s", "between 10 and 86400"),
    (BASE + "public: maybe\n", "public", "must be true or false"),
    (BASE + "overrides: [voice]\n", "overrides[0]", "'first_message' or 'text_only'"),
    (BASE + "examples: what is this\n", "examples", "must be a list"),
    ("id: Bad Id!\nname: x\n", "id", "a-z, 0-9, - and _"),
    ("name: No id\n", "id", "is required"),
]


@pytest.mark.parametrize(("text", "key", "problem"), BAD_CONFIGS)
def test_bad_config_names_file_key_and_problem(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    message = config_error(tmp_path, text)
    assert message.startswith("my_agent.yaml") or "my_agent.yaml" in message
    assert f": {key}: " in message, message
    assert problem in message, message
    assert "\n" not in message
    assert "sk-abcdef" not in message  # a key pasted in the wrong place is never echoed


def test_error_points_at_the_line_of_the_key(tmp_path: Path) -> None:
    message = config_error(
        tmp_path,
        BASE + "voice: {name: alloy}\nturn:\n  interruptions: true\n  end_of_turn_silence_ms: 99\n",
    )
    assert "my_agent.yaml, line 6: turn.end_of_turn_silence_ms: must be between" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id: t1\nname: [unclosed\n", r"line \d+, column \d+: invalid YAML"),
        ("id: t1\nname: a\nname: b\n", r"line 3: name: duplicate key"),
        ("- a\n- list\n", r"must be a YAML mapping"),
        ("", r"must be a YAML mapping"),
        ("id: t1\n\tname: tab\n", r"line 2, column \d+: invalid YAML"),
    ],
)
def test_yaml_syntax_errors(tmp_path: Path, text: str, expected: str) -> None:
    message = config_error(tmp_path, text)
    assert "my_agent.yaml" in message
    assert re.search(expected, message), message


def test_missing_agent_file(tmp_path: Path) -> None:
    with pytest.raises(TTSConfigError, match="nowhere.yaml: agent file not found"):
        load_agent(tmp_path / "nowhere.yaml")


def test_non_utf8_knowledge_file(tmp_path: Path) -> None:
    path = write_agent(tmp_path, BASE + "knowledge_base: [kb/latin1.txt]\n")
    (tmp_path / "kb" / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(TTSConfigError, match=r"knowledge_base\[0\]: 'latin1.txt' is not UTF-8"):
        load_agent(path)


@pytest.mark.parametrize("voice", ["alloy", "Alloy", "de+m3"])
def test_a_plain_voice_name_is_short_for_a_mapping(tmp_path: Path, voice: str) -> None:
    plain = load_agent(write_agent(tmp_path, BASE + f"voice: {voice}\n")).voice
    mapping = load_agent(write_agent(tmp_path, BASE + f"voice: {{name: {voice}}}\n")).voice
    assert plain == mapping
    assert (plain.name, plain.engine, plain.speed) == (voice, "auto", 1.0)


def test_full_agent_loads_with_paths_relative_to_the_yaml(tmp_path: Path) -> None:
    text = BASE + (
        "knowledge_base: [kb/facts.md]\n"
        "voice: {engine: espeak, name: nova, speed: 1.2}\n"
        "llm: {base_url: 'http://127.0.0.1:11434/v1/', model: llama3, api_key_env: MY_LLM_KEY}\n"
        "tools:\n"
        "  - {name: lookup, type: webhook, description: Look up an order,"
        " url: 'https://api.example.com/orders/{id}', method: GET,"
        " allowed_hosts: [API.example.com]}\n"
        "  - {name: show_map, type: client, description: Show a map, timeout_s: 3}\n"
        "privacy: {record_audio: true, retention_days: {transcripts: 30, audio: 7},"
        " keep_variables: [plan], redact: [email]}\n"
        "session: {max_duration_s: 600, idle_timeout_s: 30}\n"
    )
    agent = load_agent(write_agent(tmp_path, text))
    assert agent.source_dir == tmp_path.resolve()
    assert agent.knowledge_base == (tmp_path.resolve() / "kb" / "facts.md",)
    assert knowledge_texts(agent) == ["## Orders\n- Orders ship on Fridays.\n"]
    assert agent.llm is not None and agent.llm.base_url == "http://127.0.0.1:11434/v1"
    assert agent.tools[0].allowed_hosts == ("api.example.com",)
    assert agent.tools[1].timeout_s == 3
    assert agent.privacy.record_audio and not agent.privacy.store_transcripts
    assert agent.privacy.retention_days.model_dump() == {"transcripts": 30, "audio": 7}
    assert agent.privacy.consent == "required" and agent.privacy.keep_variables == ("plan",)
    assert (agent.turn.end_of_turn_silence_ms, agent.session.idle_timeout_s) == (300, 30)
    copy = agent.model_copy(update={"name": "Copy"})
    assert knowledge_texts(copy) == knowledge_texts(agent)
    with pytest.raises(ValueError, match="frozen"):
        agent.name = "changed"  # type: ignore[misc]


def test_missing_llm_key_is_a_config_error_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MY_LLM_KEY", raising=False)
    agent = load_agent(
        write_agent(
            tmp_path,
            BASE + "llm: {base_url: 'https://x.example/v1', model: m, api_key_env: MY_LLM_KEY}\n",
        )
    )
    with pytest.raises(TTSConfigError, match="MY_LLM_KEY is not set"):
        create_brain(agent)


def test_stt_openai_defaults(tmp_path: Path) -> None:
    agent = load_agent(
        write_agent(tmp_path, BASE + "language: de\nvoice: {name: alloy}\nstt: {engine: openai}\n")
    )
    assert (agent.stt.base_url, agent.stt.model, agent.stt.api_key_env) == (
        "https://api.openai.com/v1",
        "whisper-1",
        "OPENAI_API_KEY",
    )


def test_default_agent(default_agent: AgentConfig) -> None:
    package = Path(tts_agents.__file__).parent
    assert default_agent_path().is_relative_to(package)  # ships inside the wheel
    assert default_agent.id == "help-desk"
    assert default_agent.llm is None and default_agent.stt.engine == "auto"
    assert not default_agent.privacy.record_audio and not default_agent.public
    assert len(default_agent.examples) >= 40
    assert 0 < len(default_agent.first_message) <= 120
    facts = [p for text in knowledge_texts(default_agent) for p in parse_passages(text)]
    assert 40 <= len(facts) <= 90


def test_knowledge_base_facts_are_speakable(default_agent: AgentConfig) -> None:
    for text in knowledge_texts(default_agent):
        for passage in parse_passages(text):
            assert not re.search(r"[*#`|<>\[\]_]", passage.text), passage.text
            assert len(sentences(passage.text)) <= 3, passage.text
            assert len(passage.text) <= 260, passage.text


def test_domain_sentences_are_normalized(default_agent: AgentConfig) -> None:
    found = domain_sentences(default_agent)
    assert len(found) > 100
    assert len(found) == len(set(found))
    for sentence in found:
        assert re.fullmatch(r"[a-z]+( [a-z]+)*", sentence), sentence
    joined = "\n".join(found)
    assert "what audio formats can you make" in found  # an example question
    assert "four thousand ninety six" in joined  # numbers spelled out
    assert "m p three" in joined and "s s m l" in joined  # acronyms as they are said
    assert "goodbye" in found and "what time is it" in found  # intent phrases
    assert "uh huh" in found  # backchannels


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("Speed 0.25 to 4.0!", "speed zero point two five to four point zero"),
        (
            "**Save** it as `hi.mp3` at 16,000 Hz.",
            "save it as hi m p three at sixteen thousand hertz",
        ),
        ("What's the 21st? It's 2025.", "what is the twenty first it is two thousand twenty five"),
        ("- [SSML](https://x.example) & TTS", "s s m l and t t s"),
    ],
)
def test_spoken_words(written: str, said: str) -> None:
    assert spoken_words(written) == said


def test_number_words() -> None:
    assert number_words(0) == "zero"
    assert number_words(115) == "one hundred fifteen"
    assert number_words(1_000_001) == "one million one"
