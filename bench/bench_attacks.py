"""Attacks on a loopback server: stalled readers, idle connections, a conversation soak.

    python bench/bench_attacks.py                  # all three scenarios
    python bench/bench_attacks.py --stalled [--max-concurrent 4] [--streams-per-key 16]
                                  [--stalled-streams 64] [--closers 64] [--attack-seconds 240]
    python bench/bench_attacks.py --idle [--idle-connections 2000] [--one-address 100]
                                  [--header-timeout 5]
    python bench/bench_attacks.py --soak [--sessions 200] [--batch 8]

Each scenario starts the real app in its own process on 127.0.0.1 with its connection guard,
as ``tts-agents serve`` runs it (bench/loopback.py). Attacks come from 127.0.0.2 and up, so
the probes from 127.0.0.1 are not capped per address; every attack is bounded in count and
time. Bounds from issue 13 are printed next to the numbers, never asserted:

* stalled readers (espeak, ``--max-concurrent`` slots, ``stream_send_timeout`` as default):
  key A asks for ``--stalled-streams`` 4,000-character PCM streams, reads each status line
  and then nothing (4 KB receive buffers); key C sends ``--closers`` requests and closes
  them all at once. Then a fresh request from key B: its time against the same request on
  the idle server (bound: 200 within 30 s), ``/health`` latency and ``queued`` during the
  attack, and when ``queued`` is back to 0. Per-key budgets are lifted so the stream cap,
  not the budget, is what refuses key A.
* idle connections: ``--idle-connections`` silent TCP connections from 127.0.0.2..40 (under
  the per-address cap) plus ``--one-address`` from 127.0.0.41 (over it); ``/health``
  latency while they are open against the baseline (bound: under 1 s), how many the server
  refused at once and closed at the ``--header-timeout`` deadline, and when ``/health`` is
  back to baseline.
* conversation soak: ``--sessions`` voice conversations, ``--batch`` at a time, with a
  help-desk variant on espeak and pocketsphinx over the ElevenLabs ConvAI WebSocket; each
  asks one spoken question and waits for its transcript and answer. Server RSS (with
  children) after the first 16 sessions and every 40 after; growth after warm-up against
  the 100 MB bound.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import re
import resource
import select
import selectors
import socket
import statistics
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import yaml
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from loopback import server_process
from tts_agents import TTSAgent, TTSConfig
from tts_agents.server import ServerSettings
from tts_agents.server.run import load_agents

KEY_A, KEY_B, KEY_C = "bench-attacker", "bench-fresh", "bench-closer"
LONG = "A long answer that nobody will ever read to the end. " * 75  # ~4,000 characters
FRESH = "A fresh request from another key."
QUESTION = "What time does the library open?"
SESSION_TIMEOUT = 30  # an answer takes about 2 s
UNLIMITED = {
    "requests_per_minute_per_key": 10**9,
    "requests_per_minute_per_ip": 10**9,
    "cost_per_minute_per_key": 10**9,
    "audio_seconds_per_minute_per_key": 10**9,
}
HEALTH = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
CODE = re.compile(rb'"code"\s*:\s*"([^"]+)"')
CLOSED = select.POLLRDHUP | select.POLLHUP | select.POLLERR


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def spread(values: list[float]) -> str:
    if not values:
        return "no samples"
    return f"p50 {ms(statistics.median(values))}, max {ms(max(values))} over {len(values)}"


def address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def open_socket(url: str, source: str, data: bytes = b"", rcvbuf: int = 0) -> socket.socket:
    client = socket.socket()
    if rcvbuf:
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    client.bind((source, 0))
    client.connect(address(url))
    if data:
        client.sendall(data)
    return client


def speech_request(key: str, text: str, fmt: str) -> bytes:
    body = json.dumps(
        {"model": "tts-1", "voice": "alloy", "input": text, "response_format": fmt}
    ).encode()
    head = (
        f"POST /v1/audio/speech HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class HealthProbe(threading.Thread):
    """GET /health on a fresh connection every ``every`` seconds: (time, latency, queued)."""

    def __init__(self, url: str, every: float) -> None:
        super().__init__(daemon=True)
        self.url, self.every = url, every
        self.samples: list[tuple[float, float, int]] = []
        self.failures = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            latency, queued = probe_health(self.url)
            if queued < 0:
                self.failures += 1
            else:
                self.samples.append((time.monotonic(), latency, queued))
            self.stop.wait(self.every)

    def latest_queued(self) -> int:
        return self.samples[-1][2] if self.samples else -1


def probe_health(url: str) -> tuple[float, int]:
    """One /health on a new connection: (seconds, queued), queued -1 on failure."""
    start = time.perf_counter()
    try:
        with socket.create_connection(address(url), timeout=10) as client:
            client.sendall(HEALTH)
            response = b""
            while data := client.recv(4096):
                response += data
        body = response.partition(b"\r\n\r\n")[2]
        return time.perf_counter() - start, int(json.loads(body)["queued"])
    except (OSError, ValueError, KeyError):
        return time.perf_counter() - start, -1


def baseline_health(url: str, probes: int = 20) -> list[float]:
    latencies = []
    for _ in range(probes):
        latencies.append(probe_health(url)[0])
        time.sleep(0.05)
    return latencies


def fresh_request(url: str, key: str) -> tuple[float, int]:
    body = {"model": "tts-1", "voice": "alloy", "input": FRESH, "response_format": "wav"}
    start = time.perf_counter()
    try:
        response = httpx.post(
            url + "/v1/audio/speech",
            json=body,
            headers={"Authorization": f"Bearer {key}"},
            timeout=300,
        )
        status = response.status_code
    except httpx.HTTPError:
        status = 0
    return time.perf_counter() - start, status


def read_statuses(clients: list[socket.socket], within: float) -> dict[socket.socket, str]:
    """The answers that arrive within ``within`` s: "200", or "429 code" with the body read."""
    answers: dict[socket.socket, str] = {}
    with selectors.DefaultSelector() as selector:
        for client in clients:
            selector.register(client, selectors.EVENT_READ)
        deadline = time.monotonic() + within
        while len(answers) < len(clients) and (left := deadline - time.monotonic()) > 0:
            for key, _ in selector.select(left):
                client = key.fileobj
                assert isinstance(client, socket.socket)
                selector.unregister(client)
                answers[client] = read_status(client)
    return answers


def read_status(client: socket.socket) -> str:
    """Read the status line only; for a refusal, its body too (for the error code)."""
    head = client.recv(12)
    if not head.startswith(b"HTTP/1.1 "):
        return "closed"
    status = head[9:12].decode()
    if status == "200":
        return status
    client.settimeout(1)
    rest = b""
    try:
        while not CODE.search(rest) and (data := client.recv(4096)):
            rest += data
    except OSError:
        pass
    code = CODE.search(rest)
    return f"{status} {code.group(1).decode()}" if code else status


def tally(answers: dict[socket.socket, str], sent: int) -> str:
    counts = Counter(answers.values())
    counts["no answer yet (queued)"] = sent - len(answers)
    return ", ".join(f"{name} x{count}" for name, count in sorted(counts.items()) if count)


def stalled_readers(args: argparse.Namespace) -> None:
    settings = ServerSettings(
        api_keys=(KEY_A, KEY_B, KEY_C),
        engine="espeak",
        max_concurrent=args.max_concurrent,
        max_streams_per_key=args.streams_per_key,
        **UNLIMITED,
    )
    print(
        f"stalled readers: espeak, max_concurrent {settings.max_concurrent}, max_queue "
        f"{settings.max_queue}, {settings.max_streams_per_key} streams per key, "
        f"stream_send_timeout {settings.stream_send_timeout:g} s (per-key budgets lifted)"
    )
    with server_process(settings) as url:
        fresh_request(url, KEY_B)  # warm up
        base_fresh = statistics.median(fresh_request(url, KEY_B)[0] for _ in range(5))
        base_health = baseline_health(url)
        print(f"  idle server      : fresh request {ms(base_fresh)}; /health {spread(base_health)}")
        probe = HealthProbe(url, 0.25)
        probe.start()
        started = time.monotonic()
        stalled = [
            open_socket(url, "127.0.0.2", speech_request(KEY_A, LONG, "pcm"), rcvbuf=4096)
            for _ in range(args.stalled_streams)
        ]
        answers = read_statuses(stalled, within=3)
        print(
            f"  key A, 127.0.0.2 : {args.stalled_streams} stalled pcm streams: "
            f"{tally(answers, len(stalled))}"
        )
        closers = [
            open_socket(url, "127.0.0.3", speech_request(KEY_C, LONG, "pcm"))
            for _ in range(args.closers)
        ]
        closer_answers = read_statuses(closers, within=1)
        queued_before = probe_health(url)[1]
        for client in closers:
            client.close()
        closed_at = time.monotonic()
        queued_after = wait_for_queue(url, queued_before - (len(closers) - len(closer_answers)))
        print(
            f"  key C, 127.0.0.3 : {args.closers} requests closed at once: "
            f"{tally(closer_answers, len(closers))}; queued {queued_before} -> "
            f"{queued_after[0]} {ms(queued_after[1] - closed_at)} after closing"
        )
        watch_attack(url, args, stalled, answers, probe, StalledAttack(started, base_fresh))


def wait_for_queue(url: str, target: int, within: float = 10) -> tuple[int, float]:
    """Poll /health until ``queued`` <= ``target``: (queued, when)."""
    deadline = time.monotonic() + within
    while True:
        queued = probe_health(url)[1]
        if 0 <= queued <= target or time.monotonic() > deadline:
            return queued, time.monotonic()
        time.sleep(0.01)


@dataclass
class StalledAttack:
    """What key A's sockets and key B's request saw; times in seconds into the attack."""

    started: float
    base_fresh: float
    at_once: int = 0  # streams that had a slot when the attack began
    slots: list[float] = field(default_factory=list)  # when queued streams got one
    dropped: list[float] = field(default_factory=list)  # when the server closed a socket
    held: int = 0
    fresh_sent: float = 0.0
    fresh: tuple[float, int] | None = None  # seconds, status
    watched: float = 0.0


def watch_attack(
    url: str,
    args: argparse.Namespace,
    stalled: list[socket.socket],
    answers: dict[socket.socket, str],
    probe: HealthProbe,
    attack: StalledAttack,
) -> None:
    """Send key B's request, follow key A's sockets until the queue empties, report."""
    held = [client for client in stalled if answers.get(client, "200") == "200"]
    for client in set(stalled) - set(held):
        client.close()  # refused: it holds nothing
    poller = select.poll()
    by_fd = {client.fileno(): client for client in held}
    for fd, client in by_fd.items():
        poller.register(fd, select.POLLRDHUP if client in answers else select.POLLIN)
    attack.at_once, attack.held = sum(1 for c in held if c in answers), len(held)
    with ThreadPoolExecutor(1) as pool:
        attack.fresh_sent = time.monotonic() - attack.started
        fresh = pool.submit(fresh_request, url, KEY_B)
        while (now := time.monotonic() - attack.started) < args.attack_seconds:
            for fd, event in poller.poll(100):
                if event & CLOSED:
                    attack.dropped.append(now)
                    poller.unregister(fd)
                else:  # a queued stream got its slot: its status line, then nothing
                    read_status(by_fd[fd])
                    attack.slots.append(now)
                    poller.modify(fd, select.POLLRDHUP)
            if fresh.done() and probe.latest_queued() == 0:
                break
        attack.fresh = fresh.result() if fresh.done() else None
        attack.watched = time.monotonic() - attack.started
        probe.stop.set()
        probe.join()
        for client in held:  # ends the attack, so an unanswered request ends too
            client.close()
    report_attack(attack, probe)
    print(f"  after closing key A's sockets: /health {spread(baseline_health(url, 10))}")


def report_attack(attack: StalledAttack, probe: HealthProbe) -> None:
    if attack.fresh is None:
        outcome, within = f"no answer in {attack.watched:.0f} s", "MISSED"
    else:
        seconds, status = attack.fresh
        within = "ok" if status == 200 and seconds <= 30 else "MISSED"
        outcome = (
            f"{status or 'failed'} in {seconds:.2f} s = "
            f"{seconds / attack.base_fresh:.0f}x the idle server"
        )
    print(
        f"  key B, 127.0.0.1 : fresh request sent {attack.fresh_sent:.1f} s into the attack: "
        f"{outcome} (bound 200 within 30 s: {within})"
    )
    later = ", ".join(f"{t:.1f}" for t in attack.slots)
    print(
        f"  key A's streams  : {attack.at_once} streaming at once, queued ones got a slot at "
        f"[{later}] s; in the {attack.watched:.0f} s watched the server closed "
        f"{len(attack.dropped)} of the {attack.held} sockets holding or awaiting one"
    )
    samples = [(t - attack.started, latency, queued) for t, latency, queued in probe.samples]
    empty = [t for t, _, queued in samples if queued == 0 and t > attack.fresh_sent]
    back = f"{empty[0]:.1f} s" if empty else "not within the attack"
    print(
        f"  /health          : {spread([lat for _, lat, _ in samples])} probes, "
        f"{probe.failures} failed; queued max {max((q for *_, q in samples), default=0)}, "
        f"back to 0 at {back}"
    )


def idle_connections(args: argparse.Namespace) -> None:
    settings = ServerSettings(api_keys=(KEY_A,), header_timeout=args.header_timeout)
    sources = [f"127.0.0.{i}" for i in range(2, 41)]
    print(
        f"idle connections: header_timeout {settings.header_timeout:g} s, "
        f"max_connections_per_ip {settings.max_connections_per_ip}, "
        f"{args.idle_connections} from {len(sources)} addresses + {args.one_address} "
        f"from 127.0.0.41"
    )
    with server_process(settings) as url:
        base = baseline_health(url)
        print(f"  baseline         : /health {spread(base)}")
        probe = HealthProbe(url, 0.1)
        probe.start()
        started = time.monotonic()
        idle = [open_socket(url, sources[i % len(sources)]) for i in range(args.idle_connections)]
        crowd = [open_socket(url, "127.0.0.41") for _ in range(args.one_address)]
        opened = time.monotonic()
        print(
            f"  opened           : {len(idle) + len(crowd)} connections in {opened - started:.2f} s"
        )
        closed = wait_for_closes(idle + crowd, args.header_timeout + 15)
        deadline_closes = [t for t in closed.values() if t - started >= 1] or [time.monotonic()]
        time.sleep(3)
        probe.stop.set()
        probe.join()
        for client in idle + crowd:
            client.close()
        report_closes("spread", idle, closed, started)
        report_closes("one address", crowd, closed, started)
        report_idle_health(probe, base, started, min(deadline_closes), max(deadline_closes))


def wait_for_closes(clients: list[socket.socket], within: float) -> dict[socket.socket, float]:
    """When the server closed each of ``clients`` (monotonic), waiting up to ``within`` s."""
    poller = select.poll()
    by_fd = {client.fileno(): client for client in clients}
    for fd in by_fd:
        poller.register(fd, select.POLLRDHUP)
    closed: dict[socket.socket, float] = {}
    deadline = time.monotonic() + within
    while len(closed) < len(clients) and time.monotonic() < deadline:
        for fd, _ in poller.poll(100):
            closed[by_fd[fd]] = time.monotonic()
            poller.unregister(fd)
    return closed


def report_closes(
    name: str, clients: list[socket.socket], closed: dict[socket.socket, float], started: float
) -> None:
    times = [closed[c] - started for c in clients if c in closed]
    at_once = [t for t in times if t < 1]
    later = [t for t in times if t >= 1]
    timed = f", {later[0]:.1f}..{later[-1]:.1f} s after the attack began" if later else ""
    print(
        f"  {name:<16} : {len(clients)} connections: {len(at_once)} refused at once, "
        f"{len(later)} closed at the header deadline{timed}, "
        f"{len(clients) - len(times)} still open"
    )


def report_idle_health(
    probe: HealthProbe, base: list[float], started: float, first_close: float, last_close: float
) -> None:
    slow = 2 * max(base)
    during = [lat for t, lat, _ in probe.samples if t < first_close]
    after = [(t, lat) for t, lat, _ in probe.samples if t >= first_close]
    late = [t for t, lat in after if lat > slow]
    if during:
        verdict = "ok" if max(during) < 1 else "MISSED"
        print(
            f"  /health open     : {spread(during)} probes while all were open = "
            f"{statistics.median(during) / statistics.median(base):.1f}x baseline p50, "
            f"{probe.failures} failed (bound max < 1 s: {verdict})"
        )
    else:
        print("  /health open     : no probe finished while all were open (bound: MISSED)")
    recovered = max(late, default=first_close) - started
    worst: dict[int, float] = {}
    for t, lat, _ in probe.samples:
        second = int(t - started)
        worst[second] = max(worst.get(second, 0.0), lat)
    timeline = ", ".join(f"{second}s {lat * 1000:.0f}" for second, lat in sorted(worst.items()))
    print(f"  /health by second: slowest probe in ms: {timeline}")
    print(
        f"  /health after    : {spread([lat for _, lat in after])} probes from the first "
        f"close at the deadline; back to baseline (every probe under 2x its max, {ms(slow)}) "
        f"from {recovered:.1f} s; the last idle socket closed at {last_close - started:.1f} s"
    )


def soak_agent_file(directory: Path) -> Path:
    from tts_agents.agent.config import default_agent_path

    default = default_agent_path()
    data = yaml.safe_load(default.read_text(encoding="utf-8"))
    data["id"] = "soak-desk"
    data["voice"] = {"engine": "espeak", "name": "alloy", "speed": 1.0}
    data["stt"] = {"engine": "pocketsphinx"}
    data["knowledge_base"] = [str(default.parent / path) for path in data["knowledge_base"]]
    path = directory / "soak_desk.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


async def question_chunks() -> list[bytes]:
    """The question as 100 ms PCM16 16 kHz chunks, 0.5 s of silence before and 1 s after."""
    async with TTSAgent(TTSConfig(engine="espeak")) as agent:
        stream = agent.prepare(QUESTION, format="pcm", sample_rate=16000, voice="echo")
        pcm = b"".join([chunk.pcm async for chunk in stream.pcm()])
    pcm = bytes(16000) + pcm + bytes(32000)
    step = 3200
    return [pcm[i : i + step].ljust(step, b"\0") for i in range(0, len(pcm), step)]


class Soak:
    """Counts of the soak's sessions."""

    def __init__(self, url: str, chunks: list[bytes]) -> None:
        self.ws_url = url.replace("http://", "ws://") + "/v1/convai/conversation?agent_id=soak-desk"
        self.chunks = [
            json.dumps({"user_audio_chunk": base64.b64encode(c).decode()}) for c in chunks
        ]
        self.ok = self.failed = self.retries = 0
        self.reasons: dict[str, int] = {}

    async def session(self) -> None:
        for _ in range(10):
            seen: set[str] = set()
            try:
                async with connect(self.ws_url, additional_headers={"xi-api-key": KEY_A}) as ws:
                    await ws.send(json.dumps({"type": "conversation_initiation_client_data"}))
                    await asyncio.wait_for(self.talk(ws, seen), SESSION_TIMEOUT)
                self.ok += 1
                return
            except ConnectionClosed as exc:
                if exc.rcvd is not None and exc.rcvd.code == 1013:
                    self.retries += 1
                    await asyncio.sleep(0.5)
                    continue
                self.fail(f"closed {exc.rcvd.code if exc.rcvd else 'abruptly'}")
                return
            except TimeoutError:
                missing = "agent_response" if "user_transcript" in seen else "user_transcript"
                tentative = " (a tentative one came)" if "tentative_user_transcript" in seen else ""
                self.fail(f"no {missing} in {SESSION_TIMEOUT} s{tentative}")
                return
            except OSError as exc:
                self.fail(type(exc).__name__)
                return
        self.fail("1013 ten times")

    def fail(self, reason: str) -> None:
        self.failed += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1

    async def talk(self, ws: ClientConnection, seen: set[str]) -> None:
        """Speak the question; answer pings; return on a transcript and then an answer."""
        sender = asyncio.create_task(self.speak(ws))
        try:
            async for raw in ws:
                message = json.loads(raw)
                kind = message.get("type")
                seen.add(kind)
                if kind == "ping":
                    pong = {"type": "pong", "event_id": message["ping_event"]["event_id"]}
                    await ws.send(json.dumps(pong))
                elif kind == "agent_response" and "user_transcript" in seen:
                    return
            raise ConnectionClosed(ws.close_rcvd, ws.close_sent)
        finally:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)

    async def speak(self, ws: ClientConnection) -> None:
        for chunk in self.chunks:
            await ws.send(chunk)
            await asyncio.sleep(0.1)  # real time: faster input is refused (audio_rate_exceeded)


def server_rss(port: int) -> float:
    """RSS in MB of the process listening on ``port`` and its children."""
    for child in psutil.Process().children():
        try:
            listening = any(
                c.status == psutil.CONN_LISTEN and c.laddr.port == port
                for c in child.net_connections("tcp")
            )
            if listening:
                family = [child, *child.children(recursive=True)]
                return sum(p.memory_info().rss for p in family) / 2**20
        except psutil.Error:
            continue
    raise SystemExit("the server process was not found")


def conversations_active(url: str) -> int:
    text = httpx.get(url + "/metrics", headers={"Authorization": f"Bearer {KEY_A}"}).text
    found = re.search(r"^tts_agents_conversations_active (\S+)", text, re.MULTILINE)
    return int(float(found.group(1))) if found else -1


async def run_soak(url: str, soak: Soak, sessions: int, batch: int) -> None:
    port = address(url)[1]
    warm = rss = None
    started = time.monotonic()
    done = 0
    while done < sessions:
        size = min(batch, sessions - done)
        await asyncio.gather(*(soak.session() for _ in range(size)))
        done += size
        for _ in range(100):  # the batch's sessions end on the server too
            if conversations_active(url) <= 0:
                break
            await asyncio.sleep(0.1)
        if done == 16 or (done > 16 and (done - 16) % 40 == 0) or done == sessions:
            rss = server_rss(port)
            warm = rss if warm is None else warm
            print(
                f"  {done:>5} sessions : RSS {rss:7.1f} MB ({rss - warm:+7.1f} MB after "
                f"warm-up), {soak.ok} ok, {soak.failed} failed, {soak.retries} retries on "
                f"1013, {time.monotonic() - started:.0f} s"
            )
    if warm is not None and rss is not None:
        growth = rss - warm
        verdict = "ok" if growth <= 100 else "MISSED"
        print(f"  growth after warm-up: {growth:+.1f} MB (bound 100 MB: {verdict})")
    if soak.reasons:
        print(f"  failures: {soak.reasons}")


def conversation_soak(args: argparse.Namespace) -> None:
    chunks = asyncio.run(question_chunks())
    with tempfile.TemporaryDirectory() as directory:
        agents = load_agents([str(soak_agent_file(Path(directory)))])
        settings = ServerSettings(
            api_keys=(KEY_A,),
            agents=tuple(agent for agent in agents if agent.id == "soak-desk"),
            **UNLIMITED,
        )
        print(
            f"conversation soak: {args.sessions} sessions, {args.batch} at a time "
            f"(max_conversations {settings.max_conversations}); question "
            f"{len(chunks) / 10:.1f} s in 100 ms chunks in real time; espeak + pocketsphinx"
        )
        with server_process(settings) as url:
            asyncio.run(run_soak(url, Soak(url, chunks), args.sessions, args.batch))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stalled", action="store_true", help="run the stalled readers")
    parser.add_argument("--idle", action="store_true", help="run the idle connections")
    parser.add_argument("--soak", action="store_true", help="run the conversation soak")
    parser.add_argument("--max-concurrent", type=int, default=4)
    parser.add_argument("--streams-per-key", type=int, default=ServerSettings.max_streams_per_key)
    parser.add_argument("--stalled-streams", type=int, default=64)
    parser.add_argument("--closers", type=int, default=64)
    parser.add_argument("--attack-seconds", type=float, default=240)
    parser.add_argument("--idle-connections", type=int, default=2000)
    parser.add_argument("--one-address", type=int, default=100)
    parser.add_argument("--header-timeout", type=float, default=5.0)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--batch", type=int, default=8)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65536 if hard == resource.RLIM_INFINITY else hard
    if soft < wanted:  # thousands of sockets on this side too
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    run_all = not (args.stalled or args.idle or args.soak)
    if run_all or args.stalled:
        stalled_readers(args)
    if run_all or args.idle:
        idle_connections(args)
    if run_all or args.soak:
        conversation_soak(args)


if __name__ == "__main__":
    main()
