"""Cloud configuration: HTTPS policy, keys from the environment, engine chains, registry."""

from __future__ import annotations

import pytest

from tts_agents import TTSConfig
from tts_agents.engines import ENGINES, create_engine, engine_for, route
from tts_agents.engines.auto import AutoEngine
from tts_agents.engines.elevenlabs import ElevenLabsEngine
from tts_agents.engines.espeak import EspeakEngine
from tts_agents.engines.fallback import FallbackEngine
from tts_agents.engines.http import checked_base_url
from tts_agents.engines.openai import OpenAICompatibleEngine, OpenAIEngine
from tts_agents.errors import EngineNotFoundError, TTSConfigError
from tts_agents.urls import base_url_problem, is_loopback_host


def test_plain_http_to_a_remote_host_is_refused_with_a_message_about_https() -> None:
    with pytest.raises(TTSConfigError, match="HTTPS") as caught:
        TTSConfig(base_url="http://example.com/v1")
    assert "base_url" in str(caught.value)
    with pytest.raises(TTSConfigError, match="HTTPS"):
        TTSConfig(elevenlabs_base_url="http://api.example.org")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8123/v1",
        "http://127.8.9.10/v1",
        "http://localhost:9000/v1",
        "http://[::1]:9000/v1",
        "https://api.openai.com/v1",
        "https://example.com:8443/v1/",
    ],
)
def test_https_and_loopback_http_are_accepted(url: str) -> None:
    assert TTSConfig(base_url=url).base_url == url


def test_the_opt_out_allows_plain_http_explicitly() -> None:
    config = TTSConfig(base_url="http://tts.internal:8000/v1", allow_insecure_http=True)
    assert config.base_url == "http://tts.internal:8000/v1"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://user:secret@example.com/v1", "credentials"),
        ("ftp://example.com/v1", "http(s)"),
        ("https:///v1", "http(s)"),
        ("https://example.com/v1?key=abc", "query"),
        ("https://example.com:99999/v1", "valid URL"),
    ],
)
def test_malformed_or_credential_bearing_urls_are_refused_without_echoing_them(
    url: str, words: str
) -> None:
    with pytest.raises(TTSConfigError, match=words) as caught:
        TTSConfig(base_url=url)
    assert "secret" not in str(caught.value) and "key=abc" not in str(caught.value)


def test_assigning_an_insecure_url_is_refused_and_leaves_the_old_value() -> None:
    config = TTSConfig(base_url="https://api.example.com/v1")
    with pytest.raises(TTSConfigError, match="HTTPS"):
        config.base_url = "http://example.com/v1"
    assert config.base_url == "https://api.example.com/v1"


def test_loopback_detection() -> None:
    assert all(map(is_loopback_host, ["localhost", "LOCALHOST", "a.localhost", "127.0.0.1", "::1"]))
    assert not any(
        map(is_loopback_host, ["example.com", "10.0.0.1", "128.0.0.1", "localhost.evil"])
    )
    assert base_url_problem("http://127.0.0.1:1/v1") is None


def test_engines_check_the_policy_too() -> None:
    with pytest.raises(TTSConfigError, match="HTTPS"):
        checked_base_url("openai", "http://example.com/v1", TTSConfig())
    assert checked_base_url("openai", "http://127.0.0.1:5/v1/", TTSConfig()).endswith(":5/v1")


def test_keys_come_from_the_provider_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env-openai-123456")
    monkeypatch.setenv("ELEVENLABS_API_KEY", "sk_fromenvelevenlabs123456")
    config = TTSConfig()
    assert config.api_key is not None and config.elevenlabs_api_key is not None
    assert config.api_key.get_secret_value() == "sk-from-env-openai-123456"
    assert config.elevenlabs_api_key.get_secret_value() == "sk_fromenvelevenlabs123456"
    for text in (repr(config), str(config), config.model_dump_json()):
        assert "from-env" not in text and "fromenv" not in text


def test_offline_by_default_even_with_keys_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env-openai-123456")
    monkeypatch.setenv("ELEVENLABS_API_KEY", "sk_fromenvelevenlabs123456")
    config = TTSConfig()
    assert config.engine_chain == ("auto",)
    engine = engine_for(config)
    assert isinstance(engine, AutoEngine)  # offline voices only; no models here: espeak
    assert isinstance(route(engine, "alloy", None)[0], EspeakEngine)


def test_a_chain_from_a_comma_list_or_a_list() -> None:
    assert TTSConfig(engine="elevenlabs, OpenAI,espeak").engine_chain == (
        "elevenlabs",
        "openai",
        "espeak",
    )
    config = TTSConfig(engines=["openai", "espeak"], engine="elevenlabs")
    assert config.engine_chain == ("openai", "espeak")  # engines wins
    assert config.engine_name == "openai"
    with pytest.raises(TTSConfigError, match="engines"):
        TTSConfig(engines=["openai", ""])


def test_chain_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TTS_AGENTS_ENGINES", "openai,espeak")
    assert TTSConfig().engine_chain == ("openai", "espeak")


def test_registry_builds_cloud_engines_and_fallback_chains() -> None:
    assert {"espeak", "openai", "elevenlabs", "openai-compatible"} <= set(ENGINES)
    config = TTSConfig(
        api_key="sk-test-0123456789",
        elevenlabs_api_key="sk_test0123456789",
        base_url="http://127.0.0.1:9/v1",
        engine="elevenlabs,openai,espeak",
    )
    chain = engine_for(config)
    assert isinstance(chain, FallbackEngine)
    assert [type(e) for e in chain.engines] == [ElevenLabsEngine, OpenAIEngine, EspeakEngine]
    assert chain.name == "elevenlabs,openai,espeak"
    assert isinstance(create_engine("openai-compatible", config), OpenAICompatibleEngine)


def test_unknown_engine_in_a_chain_is_named_before_anything_is_built() -> None:
    with pytest.raises(EngineNotFoundError, match="'polly'"):
        engine_for(TTSConfig(engine="openai,polly"))


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("openai", "OPENAI_API_KEY"),
        ("elevenlabs", "ELEVENLABS_API_KEY"),
        ("openai-compatible", "base URL"),
    ],
)
def test_missing_key_or_url_is_a_clear_config_error(name: str, words: str) -> None:
    with pytest.raises(TTSConfigError, match=words):
        create_engine(name, TTSConfig())


def test_openai_compatible_needs_no_key() -> None:
    engine = create_engine("openai-compatible", TTSConfig(base_url="http://localhost:8000/v1"))
    assert engine.name == "openai-compatible"
    assert engine.resolve_voice("my-custom_voice.v2") == "my-custom_voice.v2"
