import asyncio

from tts_agents import TTSAgent, Voice


async def main():
    async with TTSAgent() as agent:
        response = await agent.generate_speech(
            text="Hello, world! This is a demonstration of TTS Agents.",
            voice=Voice.ALLOY,
            output_path="output.mp3",
        )
        print(f"Audio saved to: {response.file_path}")


asyncio.run(main())
