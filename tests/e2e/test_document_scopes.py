"""Documents through the real bot process: who sees and changes what. A user's documents are
never another's, a group's are the group's, a new version replaces the old, /teach learns the
next text, /docs and /forget, and only admins teach the global collection.

The bot embeds with the real bundled all-MiniLM-L6-v2 (EMBEDDINGS_BACKEND=local); the chat model
is the fake OpenAI server, which echoes, so what reached the model is read from its requests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BotProcess
from tests.support.document_chat import (
    ADMIN,
    ANSWER_TIMEOUT,
    PROGRESS,
    ask,
    documents_bot,
    last_seq,
    prompt_for,
    send_document,
)
from tgtrainer.sandbox import SandboxClient, SandboxServer
from tgtrainer.testing.fake_openai import FakeOpenAIServer


@pytest.fixture(scope="module")
def system_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bot-tmp")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bot-data")


@pytest.fixture(scope="module")
def bot(
    sandbox_server: SandboxServer,
    fake_openai: FakeOpenAIServer,
    data_dir: Path,
    system_temp: Path,
) -> Iterator[BotProcess]:
    with documents_bot(sandbox_server, fake_openai, data_dir, system_temp) as process:
        yield process


pytestmark = pytest.mark.usefixtures("bot")


async def test_no_user_ever_gets_another_users_private_documents(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    ann, bob = chat_id, chat_id + 50_000
    secret = "Ann's diary: the spare key is under the red flowerpot, code MAGPIE-31."
    assert (await send_document(client, ann, secret.encode(), "diary.txt")).startswith("Learned")
    question = "Where is the spare key and what is the code?"
    answer = await ask(client, bob, question)
    assert "MAGPIE" not in prompt_for(fake_openai, question)
    assert "diary" not in answer["text"]
    group = -chat_id
    group_question = f"@tgtrainer_bot {question}"
    await ask(client, group, group_question, user_id=ann, chat_type="group")
    assert "MAGPIE" not in prompt_for(fake_openai, question)
    assert "diary.txt" not in (await ask(client, bob, "/docs"))["text"]
    assert "MAGPIE" not in (await ask(client, bob, "/sources"))["text"]


async def test_a_group_learns_documents_addressed_to_the_bot_for_the_group_only(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    group, member = -(chat_id + 70_000), chat_id
    after = await last_seq(client)
    await client.send_file(
        group,
        b"The team offsite is in Tromso on 4 March.",
        file_name="offsite.txt",
        caption="@tgtrainer_bot",
        user_id=member,
    )
    [status] = await client.wait_for_bot_messages(
        group,
        after_seq=after,
        until=lambda ms: bool(ms) and not ms[-1]["text"].startswith(PROGRESS),
        timeout=ANSWER_TIMEOUT,
    )
    assert status["text"].startswith("Learned offsite.txt")
    question = "Where is the team offsite?"
    after = await last_seq(client)
    await client.send_text(group, f"@tgtrainer_bot {question}", user_id=member, chat_type="group")
    # In groups the answer is streamed by editing one message: wait for its final form.
    [answer] = await client.wait_for_bot_messages(
        group,
        after_seq=after,
        until=lambda ms: bool(ms) and "Sources:" in ms[-1]["text"],
        timeout=ANSWER_TIMEOUT,
    )
    assert "Tromso" in prompt_for(fake_openai, question)
    assert "offsite.txt" in answer["text"]
    private_question = "Where is the team offsite, privately?"
    await ask(client, member, private_question)
    assert "Tromso" not in prompt_for(fake_openai, private_question)


async def test_same_file_is_known_and_a_new_version_replaces(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    first = b"The canteen serves borscht on Tuesdays."
    assert (await send_document(client, chat_id, first, "menu.txt")).startswith("Learned")
    assert (await send_document(client, chat_id, first, "menu.txt")).startswith(
        "I already know menu.txt"
    )
    second = b"The canteen serves ramen on Tuesdays."
    status = await send_document(client, chat_id, second, "menu.txt")
    assert status.startswith("Updated menu.txt") and "replaces the old one" in status
    question = "What does the canteen serve on Tuesdays?"
    await ask(client, chat_id, question)
    prompt = prompt_for(fake_openai, question)
    assert "ramen" in prompt and "borscht" not in prompt


async def test_teach_then_text_is_learned(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    invite = await ask(client, chat_id, "/teach")
    assert "Send me the text" in invite["text"]
    learned = await ask(client, chat_id, "The office wifi password is heron-4452.")
    assert learned["text"].startswith("Learned note:")
    question = "What is the office wifi password?"
    answer = await ask(client, chat_id, question)
    assert "heron-4452" in prompt_for(fake_openai, question)
    assert "Sources:" in answer["text"]


async def test_docs_lists_and_forgets(client: SandboxClient, chat_id: int) -> None:
    await send_document(client, chat_id, b"Alpha facts about alpacas.", "alpha.txt")
    await send_document(client, chat_id, b"Beta facts about beavers.", "beta.txt")
    await send_document(client, chat_id, b"Gamma facts about gazelles.", "gamma.txt")
    listing = await ask(client, chat_id, "/docs")
    assert "alpha.txt" in listing["text"] and "beta.txt" in listing["text"]
    buttons = [b for row in listing["reply_markup"]["inline_keyboard"] for b in row]
    forget_alpha = next(b for b in buttons if "alpha.txt" in b["text"])
    after = await last_seq(client)
    await client.press_button(
        chat_id, listing["message_id"], forget_alpha["callback_data"], user_id=chat_id
    )
    [confirmation] = await client.wait_for_bot_messages(
        chat_id, after_seq=after, until=lambda ms: len(ms) >= 1, timeout=ANSWER_TIMEOUT
    )
    assert confirmation["text"] == "Forgot alpha.txt."
    assert (await ask(client, chat_id, "/forget beta.txt"))["text"] == "Forgot beta.txt."
    assert "no document called nope" in (await ask(client, chat_id, "/forget nope"))["text"]
    long_name = (await ask(client, chat_id, "/forget " + "n" * 4000))["text"]
    assert long_name.startswith("I have no document called nnn") and len(long_name) < 300
    assert (await ask(client, chat_id, "/forget_all"))["text"] == "Forgot 1 document."
    assert "gamma.txt" not in (await ask(client, chat_id, "/docs"))["text"]


async def test_global_collection_is_taught_by_admins_only(
    client: SandboxClient, chat_id: int, fake_openai: FakeOpenAIServer
) -> None:
    refused = await ask(client, chat_id, "/teach_global The cafe closes at 17:30.")
    assert refused["text"] == "Only the bot's admins can teach the global collection."
    taught = await ask(
        client, ADMIN, "/teach_global The company holiday party is on December 19.", user_id=ADMIN
    )
    assert taught["text"].startswith("Learned")
    question = "When is the company holiday party?"
    answer = await ask(client, chat_id, question)
    assert "December 19" in prompt_for(fake_openai, question)
    assert "Sources:" in answer["text"]
