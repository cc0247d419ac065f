import asyncio

from tts_agents import TTSAgent, TTSRequest, Voice
from tts_agents.batch import BatchProcessor


async def main():
    async with TTSAgent() as agent:
        batch_processor = BatchProcessor(agent, max_concurrent=5)

        requests = [
            TTSRequest(text="First text", voice=Voice.ALLOY),
            TTSRequest(text="Second text", voice=Voice.ECHO),
            TTSRequest(text="Third text", voice=Voice.FABLE),
        ]

        result = await batch_processor.process_batch(requests=requests, output_directory="./output")

        print(f"Processed {result.successful}/{result.total_requests} requests")


asyncio.run(main())
