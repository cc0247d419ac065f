import asyncio

from tts_agents import TTSAgent
from tts_agents.exceptions import TTSAgentError, TTSAPIError, TTSConfigError


async def main():
    async with TTSAgent() as agent:
        try:
            response = await agent.generate_speech(text="Hello")
            print("ok", response.success, len(response.audio_data))
        except TTSAPIError as e:
            print(f"API Error: {e}")
        except TTSConfigError as e:
            print(f"Configuration Error: {e}")
        except TTSAgentError as e:
            print(f"General Error: {e}")
        try:
            await agent.generate_speech(text="")
        except TTSAgentError as e:
            print(f"General Error: {e}")


asyncio.run(main())
