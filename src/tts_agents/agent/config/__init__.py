"""An agent's configuration: the YAML file (:mod:`.loader`), its sections (:mod:`.sections`)
and the whole agent (:mod:`.agent_file`)."""

from tts_agents.agent.config.agent_file import (
    AgentConfig,
    LLMSettings,
    PrivacySettings,
    SessionSettings,
    STTSettings,
    ToolSettings,
    TurnSettings,
    VoiceSettings,
    default_agent_path,
    domain_sentences,
    knowledge_texts,
    load_agent,
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
