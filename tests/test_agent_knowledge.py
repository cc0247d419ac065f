"""Knowledge-base retrieval: "how do I change X" finds the passage about X.

Questions of that shape share their verb with many passages ("change", "set", "make"), so
the verb must not outweigh what it acts on; the help desk once answered "How do I change the
speed?" with the passage about pitch, which says "change" and sits under the heading
"Speed, pitch and volume".
"""

from __future__ import annotations

import pytest

from tts_agents.agent.brain import Turn
from tts_agents.agent.brain.knowledge import KnowledgeBase, Passage
from tts_agents.agent.brain.offline import OfflineBrain
from tts_agents.agent.config import default_agent_path, knowledge_texts, load_agent

SPEED = "The allowed speeds go from 0.25 to 4.0"
PITCH_VOLUME = "To change the pitch or the volume"
VOICE = "To change who is speaking"
LANGUAGE = "To use another language"
FORMATS = "supports eight audio formats"
SAMPLE_RATE = "You can choose the sample rate"
BIT_RATE = "with a bit rate of 64"
PORT = "start the speech server with tts-agents serve"
ENGINE = "To switch engines"

# A question -> the start (or a phrase) of the passage that answers it.
QUESTIONS = [
    ("How do I change the speed?", SPEED),
    ("how do i change the speed", SPEED),
    ("How do I set the speed?", SPEED),
    ("Can I change how fast it talks?", SPEED),
    ("How do I change the pitch?", PITCH_VOLUME),
    ("How do I change the volume?", PITCH_VOLUME),
    ("how do i adjust the volume", PITCH_VOLUME),
    ("How do I make it louder?", PITCH_VOLUME),
    ("How do I change the voice?", VOICE),
    ("How do I change the language?", LANGUAGE),
    ("How do I change the format?", FORMATS),
    ("How do I change the audio format?", FORMATS),
    ("How do I set the output format?", FORMATS),
    ("How do I change the sample rate?", SAMPLE_RATE),
    ("how do i choose the sample rate", SAMPLE_RATE),
    ("How do I change the bit rate?", BIT_RATE),
    ("How do I change the port?", PORT),
    ("How do I change the engine?", ENGINE),
]


@pytest.fixture(scope="module")
def help_desk() -> KnowledgeBase:
    return KnowledgeBase.from_texts(knowledge_texts(load_agent(default_agent_path())))


@pytest.mark.parametrize(("question", "passage"), QUESTIONS)
def test_the_best_passage_is_about_what_the_question_asks(
    help_desk: KnowledgeBase, question: str, passage: str
) -> None:
    best = help_desk.search(question)[0]
    assert passage in best.passage.text, best.passage.text
    assert best.confidence >= OfflineBrain.confidence


def test_the_help_desk_answers_the_speed_question_with_speed() -> None:
    brain = OfflineBrain(load_agent(default_agent_path()))
    answer = brain.answer([Turn("user", "How do I change the speed?")]).text
    assert answer.startswith(SPEED) and "dash dash speed" in answer, answer


def test_an_action_word_counts_less_than_its_subject() -> None:
    """Any knowledge base, not only the help desk's: the subject decides."""
    kb = KnowledgeBase(
        [
            Passage("To change the colour, use the paint option.", "Colour and size"),
            Passage("Sizes go from 1 to 10: pass the size option.", "Colour and size"),
            Passage("To change your password, open the account page.", "Account"),
        ]
    )
    for question in (
        "how do i change the size",
        "can i set the size",
        "how do i make the size bigger",
    ):
        assert kb.search(question)[0].passage.text.startswith("Sizes"), question
    assert kb.search("how do i change the colour")[0].passage.text.startswith("To change the col")


def test_an_unknown_action_word_does_not_make_a_question_unknown() -> None:
    kb = KnowledgeBase([Passage("Set the volume with the volume option."), Passage("Other.")])
    assert kb.search("how do i adjust the volume")[0].confidence > 0.75


def test_a_word_joined_with_a_stop_word_keeps_its_stem() -> None:
    """ "i choose" is repaired to the index term "choos", which must not lose its last letter."""
    kb = KnowledgeBase([Passage("You can choose a plan on the plans page."), Passage("Other.")])
    best = kb.search("how do i choose a plan")[0]
    assert best.confidence == pytest.approx(1.0)
