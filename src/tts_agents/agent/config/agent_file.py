"""Agent definitions: one YAML file per agent, checked whole before a session starts.

An agent file names its voice, its first words, what it knows (knowledge-base files next
to the YAML), how it thinks (offline, or an OpenAI-compatible LLM), the tools it may call,
turn-taking, privacy and session limits (the sections live in
:mod:`~tts_agents.agent.config.sections`). Unknown keys are errors, and so is anything
:func:`load_agent` can check cheaply: the voice against the engine's catalogue, the
knowledge-base files, HTTPS for every remote URL. Every problem is one
:class:`~tts_agents.errors.TTSConfigError` naming the file, the line, the key path
(``turn.end_of_turn_silence_ms``) and what is wrong, so an operator fixes it in one go.

Secrets never live in the file: ``api_key_env`` holds the *name* of an environment variable.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from tts_agents.agent.brain.intents import INTENT_PHRASES
from tts_agents.agent.brain.knowledge import parse_passages
from tts_agents.agent.brain.spoken import sentences, spoken_words
from tts_agents.agent.config.loader import describe_error, read_agent_file
from tts_agents.agent.config.sections import (
    ConfigProblem,
    LLMSettings,
    PrivacySettings,
    Section,
    SessionSettings,
    STTSettings,
    ToolSettings,
    TurnSettings,
    VoiceSettings,
    source_dir_of,
)
from tts_agents.errors import TTSAgentError, TTSConfigError
from tts_agents.records.webhooks import WebhookSettings

KB_SUFFIXES = (".md", ".txt")
MAX_KB_FILE_BYTES = 1_000_000
_ID = re.compile(r"[a-z0-9_-]{1,64}")
Text = Annotated[str, Field(max_length=20_000)]


class AgentConfig(Section):
    """One agent, as its YAML file describes it (see the module docstring).

    ``knowledge_base`` paths are resolved against :attr:`source_dir` (the YAML's folder);
    their text is read once, at load time (:func:`knowledge_texts`). ``overrides`` lists
    what a client's ``conversation_config_override`` may change; nothing by default.
    """

    id: str
    name: str = Field(min_length=1, max_length=100)
    first_message: str = Field(default="", max_length=1000)
    language: str = Field(default="en-us", min_length=2, max_length=35)
    voice: VoiceSettings = VoiceSettings()
    system_prompt: Text = ""
    knowledge_base: tuple[Path, ...] = ()
    examples: tuple[Annotated[str, Field(min_length=1, max_length=300)], ...] = ()
    tools: tuple[ToolSettings, ...] = ()
    llm: LLMSettings | None = None
    turn: TurnSettings = TurnSettings()
    privacy: PrivacySettings = PrivacySettings()
    webhooks: tuple[WebhookSettings, ...] = ()
    public: bool = False
    overrides: tuple[Literal["first_message", "text_only"], ...] = ()
    stt: STTSettings = STTSettings()
    session: SessionSettings = SessionSettings()

    _source_dir: Path = PrivateAttr(default_factory=Path.cwd)
    _knowledge: tuple[str, ...] = PrivateAttr(default=())

    @property
    def source_dir(self) -> Path:
        """The folder of the YAML file; relative paths in it start here."""
        return self._source_dir

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.fullmatch(value):
            raise ValueError("must be 1 to 64 characters of a-z, 0-9, - and _")
        return value

    @field_validator("knowledge_base")
    @classmethod
    def _kb_files(cls, value: tuple[Path, ...], info: ValidationInfo) -> tuple[Path, ...]:
        resolved = []
        for index, path in enumerate(value):
            full = source_dir_of(info) / path
            if path.suffix.lower() not in KB_SUFFIXES:
                raise ConfigProblem((index,), f"{str(path)!r} must be a .md or .txt file")
            if not full.is_file():
                raise ConfigProblem(
                    (index,), f"file {str(path)!r} not found (paths are relative to the YAML)"
                )
            if full.stat().st_size > MAX_KB_FILE_BYTES:
                raise ConfigProblem((index,), f"{str(path)!r} is larger than 1 MB")
            resolved.append(full)
        return tuple(resolved)

    @model_validator(mode="after")
    def _cross_checks(self, info: ValidationInfo) -> AgentConfig:
        self._source_dir = source_dir_of(info)
        names = [tool.name for tool in self.tools]
        for index, name in enumerate(names):
            if name in names[:index]:
                raise ConfigProblem(("tools", index, "name"), f"duplicate tool name {name!r}")
        if self.stt.engine == "pocketsphinx" and self.language.split("-")[0].lower() != "en":
            raise ConfigProblem(
                ("stt", "engine"),
                f"pocketsphinx only understands English; for language {self.language!r} "
                "use engine: whisper or openai",
            )
        _check_voice(self.voice, self.language)
        self._knowledge = tuple(_read_kb(i, path) for i, path in enumerate(self.knowledge_base))
        return self


def _read_kb(index: int, path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigProblem(("knowledge_base", index), f"{path.name!r} is not UTF-8 text") from None
    except OSError as exc:
        message = f"cannot read {path.name!r}: {exc.strerror}"
        raise ConfigProblem(("knowledge_base", index), message) from None


def _check_voice(voice: VoiceSettings, language: str) -> None:
    """The voice must exist; checked where it is cheap (local engines, OpenAI's names).

    A local engine is built (models are verified, not loaded) and asked to route the voice,
    so a Kokoro voice without the Kokoro model fails here, not in the first answer.
    """
    from tts_agents.engines import LOCAL_ENGINES, create_engine, route

    if voice.engine in LOCAL_ENGINES:
        try:
            route(create_engine(voice.engine), voice.name, language)
        except TTSAgentError as exc:
            field = getattr(exc, "field", "voice")
            message = exc.message.removeprefix(f"{field}: ")
            where = ("language",) if field == "language" else ("voice", "name")
            raise ConfigProblem(where, message) from None
    elif voice.engine == "openai":
        from tts_agents.engines.voice_names import OPENAI_VOICES

        if voice.name.lower() not in OPENAI_VOICES:
            known = ", ".join(OPENAI_VOICES)
            raise ConfigProblem(("voice", "name"), f"unknown OpenAI voice; use one of {known}")


def load_agent(path: str | Path) -> AgentConfig:
    """The agent defined in the YAML file at ``path``, fully checked.

    Raises :class:`~tts_agents.errors.TTSConfigError` naming the file, the line when it is
    known, the key path and the problem; the first problem is reported (with a count of
    the others), so the message stays one readable line.
    """
    path = Path(path)
    shown = str(path)
    data, lines = read_agent_file(path, shown)
    try:
        return AgentConfig.model_validate(data, context={"source_dir": path.resolve().parent})
    except ValidationError as exc:
        known = {name for model in _SECTIONS for name in model.model_fields}
        raise TTSConfigError(describe_error(exc, shown, lines, known)) from None


def default_agent_path() -> Path:
    """The YAML of the default agent, the TTS Agents help desk (shipped in the package)."""
    return Path(__file__).parent.parent / "defaults" / "help_desk.yaml"


def knowledge_texts(agent: AgentConfig) -> list[str]:
    """The text of each knowledge-base file, as read when the agent was loaded."""
    return list(agent._knowledge)


def domain_sentences(agent: AgentConfig) -> list[str]:
    """What callers of this agent are likely to say, in recogniser form, for an STT model.

    Knowledge-base sentences, the example questions, the backchannel words and the phrases
    of the built-in intents, each normalized by
    :func:`~tts_agents.agent.brain.spoken.spoken_words` (lower-case words, numbers spelled out,
    no markdown, no punctuation), without duplicates.
    """
    written: list[str] = []
    for text in knowledge_texts(agent):
        for passage in parse_passages(text):
            written += [passage.topic, *sentences(passage.text)]
    written += [*agent.examples, *agent.turn.backchannel, *INTENT_PHRASES]
    spoken = (spoken_words(sentence) for sentence in written)
    return list(dict.fromkeys(sentence for sentence in spoken if sentence))


_SECTIONS: tuple[type[Section], ...] = (
    AgentConfig,
    VoiceSettings,
    ToolSettings,
    LLMSettings,
    TurnSettings,
    PrivacySettings,
    STTSettings,
    SessionSettings,
)

__all__ = [
    "AgentConfig",
    "LLMSettings",
    "PrivacySettings",
    "STTSettings",
    "SessionSettings",
    "ToolSettings",
    "TurnSettings",
    "VoiceSettings",
    "default_agent_path",
    "domain_sentences",
    "knowledge_texts",
    "load_agent",
]
