import asyncio

from tts_agents import TTSAgent
from tts_agents.streaming import StreamingTTS

received = []


def process_chunk(chunk):
    received.append(len(chunk))


async def main():
    async with TTSAgent() as agent:
        streaming_tts = StreamingTTS(agent)

        # Stream to file
        output_path = await streaming_tts.stream_speech_to_file(
            text="Long text here...", output_path="streaming_output.mp3"
        )

        # Process chunks in real-time
        async for chunk in streaming_tts.stream_speech(text="Text here"):
            process_chunk(chunk)
    print(output_path, sum(received))


asyncio.run(main())
