"""Citations through the real bot process: a sectioned PDF is learned, an answer resting on
several of its passages names the file once with its pages and section paths, /sources too.

The bot embeds with the real bundled all-MiniLM-L6-v2; the chat model is the fake OpenAI
server, which echoes, so what reached the model is read from its requests.
"""

from __future__ import annotations

import re

import pytest

from tests.support.document_chat import ask, prompt_for, send_document
from tests.support.documents import make_sectioned_pdf
from tgtrainer.sandbox import SandboxClient
from tgtrainer.testing.fake_openai import FakeOpenAIServer

NAME = "zebulon-manual.pdf"
MANUAL = [
    (1, "Installation", "Unpack the Zebulon station kit on a clean table. " * 6),
    (2, "Network", "The Zebulon station router password is kestrel-42. " * 3),
    (2, "Disks", "The Zebulon station disk password is heron-7. " * 3),
    (1, "Daily use", "The Zebulon station door password is finch-9. " * 3),
]


BOT_SETTINGS = {"EMBEDDINGS_BACKEND": "local"}


pytestmark = pytest.mark.usefixtures("bot")


async def test_a_document_cited_by_several_passages_is_named_once_with_its_places(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    status = await send_document(client, chat_id, make_sectioned_pdf(MANUAL, outline=False), NAME)
    assert status.startswith(f"Learned {NAME}")
    question = "What are the Zebulon station passwords?"
    answer = (await ask(client, chat_id, question))["text"]
    prompt = prompt_for(fake_openai, question)
    # The model sees numbered passages, each with its page and section path.
    assert f"[1] ({NAME}, p. 1, " in prompt
    assert f"{NAME}, p. 1, Installation > Network)\n" in prompt
    assert f"{NAME}, p. 1, Daily use)\n" in prompt
    sources = answer.split("Sources:", 1)[1]
    [line] = [line for line in sources.splitlines() if NAME in line]  # named once
    assert re.match(rf"(\[\d\]){{3,}} {re.escape(NAME)}: p\. 1 \(", line), line
    assert "p. 1 (Installation > Network)" in line and "p. 1 (Daily use)" in line
    shown = (await ask(client, chat_id, "/sources"))["text"]
    assert shown.startswith(f"{NAME}\n[1] p. 1, ") and shown.count(NAME) == 1
    assert "] p. 1, Installation > Network\nNetwork\nThe Zebulon station router password" in shown
