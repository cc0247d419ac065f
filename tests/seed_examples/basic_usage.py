# The original README's snippets use top-level `async with`; they run here inside main().
import asyncio

from tts_agents import AudioFormat, TTSAgent, TTSConfig, TTSModel, Voice


async def main():
    async with TTSAgent() as agent:
        response = await agent.generate_speech(
            text="Your text here",
            voice=Voice.ALLOY,
            model=TTSModel.TTS_1,
            format=AudioFormat.MP3,
            speed=1.0,
            output_path="speech.mp3",
        )
    print(response.success, response.file_path, response.file_size)

    config = TTSConfig(
        api_key="your-api-key",
        timeout=60,
        max_retries=5,
        rate_limit_delay=1.5,
        default_voice=Voice.ECHO,
        default_model=TTSModel.TTS_1_HD,
    )

    async with TTSAgent(config) as agent:
        # Use agent with custom configuration
        response = await agent.generate_speech(text="Configured voice", output_path="configured")
        print(response.file_path, response.metadata["voice"])


asyncio.run(main())
