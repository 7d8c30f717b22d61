"""Voice benchmark: speech-to-text and text-to-speech real-time factors, how well each
language's voice is understood, and the time from a 10-second voice note arriving to the voice
answer being sent.

Real-time factor = processing seconds / seconds of audio (lower is better; 0.3 means 10 s of
speech take 3 s). The end-to-end figure runs the real bot process with the local speech models
against the sandbox Bot API server and the fake OpenAI chat model (which answers instantly), all
on 127.0.0.1: from the user's sendFile to the bot's sendVoice being visible in the chat.
Printed and written to bench/results/voice.json.

    python -m bench.voice [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import psutil

from tgtrainer.config import Settings
from tgtrainer.sandbox import SandboxClient, SandboxServer
from tgtrainer.speech.audio import decode
from tgtrainer.speech.base import SpeechToText
from tgtrainer.speech.factory import build_speech_to_text, build_text_to_speech
from tgtrainer.testing.environment import fake_model_environment
from tgtrainer.testing.fake_openai import FakeOpenAIServer
from tgtrainer.testing.media import JFK_FLAC, JFK_TEXT, jfk_recording, to_voice_note
from tgtrainer.testing.wer import word_error_rate

TOKEN = "123456:bench-voice-token"
RESULTS = Path(__file__).parent / "results"
ANSWER = (
    "Paris is the capital of France. It lies on the Seine, in the north of the country. "
    "About two million people live in the city itself, and more than twelve million in the "
    "region around it. It is known for the Eiffel Tower, the Louvre and its cafés."
)


def median(values: list[float]) -> float:
    return statistics.median(values)


async def stt_figures(stt: SpeechToText, audio: bytes, text: str, runs: int) -> dict[str, Any]:
    samples = decode(audio, 16_000)
    seconds = len(samples) / 16_000
    started = time.perf_counter()
    await stt.warm_up()
    load = time.perf_counter() - started
    timings: dict[str, list[float]] = {"given": [], "detected": []}
    cpu: list[float] = []
    transcript = ""
    for _ in range(runs):
        for mode, language in (("given", "en"), ("detected", None)):
            started, cpu_started = time.perf_counter(), time.process_time()
            result = await stt.transcribe(audio, language=language)  # decoding included
            timings[mode].append(time.perf_counter() - started)
            if mode == "given":
                cpu.append(time.process_time() - cpu_started)
                transcript = result.text
    return {
        "audio_seconds": round(seconds, 2),
        "load_seconds": round(load, 2),
        "rtf_language_given": round(median(timings["given"]) / seconds, 3),
        "rtf_language_detected": round(median(timings["detected"]) / seconds, 3),
        # CPU seconds (all threads) per second of audio: what other work on the machine
        # does not inflate; on 2 idle cores the wall-clock RTF is about half of it
        "cpu_seconds_per_audio_second": round(median(cpu) / seconds, 3),
        "wer": round(word_error_rate(text, transcript), 3),
        "transcript": transcript,
    }


async def tts_figures(data_dir: Path, runs: int) -> dict[str, Any]:
    tts = build_text_to_speech(Settings(data_dir=data_dir))
    assert tts is not None
    started = time.perf_counter()
    await tts.warm_up()
    load = time.perf_counter() - started
    synth: list[float] = []
    whole: list[float] = []
    cpu: list[float] = []
    spoken = 0.0
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        pcm = await tts.synthesize(ANSWER, language="en")
        synth.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        started = time.perf_counter()
        note = await tts.speak(ANSWER, language="en", max_seconds=120)
        whole.append(time.perf_counter() - started)
        assert note is not None
        spoken = note.duration
    return {
        "audio_seconds": round(spoken, 2),
        "load_seconds": round(load, 2),
        "rtf_synthesis": round(median(synth) / pcm.duration, 3),
        "rtf_voice_note": round(median(whole) / spoken, 3),
        "cpu_seconds_per_audio_second": round(median(cpu) / pcm.duration, 3),
        "voice_note_kib": round(len(note.data) / 1024, 1),
    }


# One everyday sentence per language, spoken by the product's voice for that language (Piper for
# English, espeak-ng for the rest) and heard back by Whisper base told the language.
SPOKEN_LANGUAGES = {
    "en": "Hello! Tomorrow it will be sunny in London, but in the evening it will rain.",
    "de": "Guten Morgen! Morgen wird es in Berlin sonnig, am Abend regnet es.",
    "fr": "Bonjour ! Demain il fera beau à Paris, mais il pleuvra le soir.",
    "es": "¡Hola! Mañana hará sol en Madrid, pero por la tarde lloverá.",
    "it": "Ciao! Domani a Roma ci sarà il sole, ma la sera pioverà.",
    "ru": "Привет! Завтра в Москве будет солнечно, а вечером пойдёт дождь.",
}


async def intelligibility(data_dir: Path, runs: int) -> dict[str, Any]:
    """How well each language's voice is understood: the word error rate of Whisper base on it
    (a machine listener, and a weak one outside English: a rough guide, not a verdict). Whisper
    samples again when unsure, so one hearing varies: the median of `runs`."""
    tts = build_text_to_speech(Settings(data_dir=data_dir))
    stt = build_speech_to_text(Settings(data_dir=data_dir))
    assert tts is not None and stt is not None
    figures: dict[str, Any] = {}
    for language, text in SPOKEN_LANGUAGES.items():
        note = await tts.speak(text, language=language, max_seconds=30)
        if note is None:
            figures[language] = {"voice": None}
            continue
        heard = [(await stt.transcribe(note.data, language=language)).text for _ in range(runs)]
        rates = [round(word_error_rate(text, each), 2) for each in heard]
        middle = median(rates)
        figures[language] = {
            "voice": "piper joe" if language == "en" else "espeak-ng",
            "wer": middle,
            "wer_runs": rates,
            "heard": min(zip(rates, heard, strict=True), key=lambda p: abs(p[0] - middle))[1],
        }
    return figures


async def start_bot(
    env: dict[str, str], log: Path, client: SandboxClient
) -> subprocess.Popen[bytes]:
    polls_before = (await client.stats())["calls"].get("getupdates", 0)
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: ASYNC220 - starting it takes no time
            [sys.executable, "-m", "tgtrainer", "run"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 120
    while (await client.stats())["calls"].get("getupdates", 0) <= polls_before:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the bot did not start:\n{log.read_text(errors='replace')}")  # noqa: ASYNC240
        await asyncio.sleep(0.05)
    return process


async def voice_round_trip(client: SandboxClient, chat_id: int, note: bytes) -> float:
    """Seconds from sending the voice note to the bot's voice answer appearing in the chat."""
    seconds = round(len(decode(note, 16_000)) / 16_000)
    after = (await client.events(after=0, timeout=0))["last_seq"]
    started = time.perf_counter()
    await client.send_file(chat_id, note, kind="voice", duration=seconds, mime_type="audio/ogg")
    seq = after
    while True:
        batch = await client.events(after=seq, timeout=60, chat_id=chat_id)
        seq = batch["last_seq"]
        for event in batch["events"]:
            message = event.get("message") or {}
            if (
                event["type"] == "message"
                and message.get("from_bot")
                and message.get("kind") == "voice"
            ):
                return time.perf_counter() - started
        if time.perf_counter() - started > 120:
            raise TimeoutError("no voice answer in 120 s")


async def end_to_end(audio: bytes, data_dir: Path, runs: int, language: str) -> dict[str, Any]:
    note = to_voice_note(audio, max_seconds=10)
    sandbox = SandboxServer(port=0, tokens=[TOKEN])
    fake = FakeOpenAIServer()
    await sandbox.start()
    await fake.start()
    env = fake_model_environment(
        fake.base_url,
        data_dir / f"bot-{language}",  # a new database each time
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=sandbox.url,
        TELEGRAM_RATE_LIMIT="false",
        STT_LANGUAGE=language,
        LOG_LEVEL="WARNING",
    )
    try:
        async with SandboxClient(sandbox.url) as client:
            process = await start_bot(env, data_dir / "bot.log", client)
            try:
                await voice_round_trip(client, 500, note)  # warm: weights joined and loaded
                timings, cpu = [], []
                for i in range(runs):
                    before = psutil.Process(process.pid).cpu_times()
                    timings.append(await voice_round_trip(client, 501 + i, note))
                    after = psutil.Process(process.pid).cpu_times()
                    cpu.append(after.user + after.system - before.user - before.system)
            finally:
                process.terminate()
                process.wait(60)
    finally:
        await fake.stop()
        await sandbox.stop()
    return {
        "voice_note_seconds": round(len(decode(note, 16_000)) / 16_000, 2),
        "median_seconds": round(median(timings), 2),
        "max_seconds": round(max(timings), 2),
        "runs": [round(t, 2) for t in timings],
        "bot_cpu_seconds": round(median(cpu), 2),
    }


async def main(runs: int) -> dict[str, Any]:
    with TemporaryDirectory(prefix="bench-voice-") as temporary:
        data_dir = Path(temporary)
        audio, text = jfk_recording(), JFK_TEXT
        figures: dict[str, Any] = {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "load_average_before": round(os.getloadavg()[0], 2),
            "speech": f"JFK, 11 s, human: {JFK_FLAC}",
        }
        for name in ("base", "tiny.en"):
            stt = build_speech_to_text(Settings(data_dir=data_dir, stt_model=name))
            assert stt is not None
            figures[f"stt_whisper_{name}"] = await stt_figures(stt, audio, text, runs)
        figures["tts_piper_joe"] = await tts_figures(data_dir, runs)
        figures["tts_understood_by_whisper_base"] = await intelligibility(data_dir, runs)
        for language in ("auto", "en"):
            figures[f"voice_note_to_voice_answer_stt_language_{language}"] = await end_to_end(
                audio, data_dir, runs, language
            )
        # other work on the machine slows every figure: this says how busy it was
        figures["load_average_after"] = round(os.getloadavg()[0], 2)
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    results = asyncio.run(main(arguments.runs))
    print(json.dumps(results, indent=2, ensure_ascii=False))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "voice.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
