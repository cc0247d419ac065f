"""``python -m tts_agents``."""

from tts_agents.cli import main

main()
