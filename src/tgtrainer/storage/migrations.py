"""Schema migrations: an ordered list of named functions, each applied once and recorded.

Add a migration by appending a function decorated with `@migration` at the end of this file;
never edit or rename one that has shipped: its name is what databases record. `migrate()` runs
the missing ones in the order they are defined, each in its own transaction.

Until issue 9, m003_voice was defined before m002_knowledge, so a database may have recorded them
in either order; both depend on m001 alone, so either order leaves the same schema.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(function: Migration) -> Migration:
    MIGRATIONS.append((function.__name__, function))
    return function


def migrate(db: sqlite3.Connection) -> list[str]:
    """Apply the migrations this database lacks; returns the names applied."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations"
        " (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)"
    )
    done = {row[0] for row in db.execute("SELECT name FROM schema_migrations")}
    applied = []
    for name, function in MIGRATIONS:
        if name in done:
            continue
        with db:
            function(db)
            db.execute(
                "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                (name, time.time()),
            )
        applied.append(name)
    return applied


# The migrations, in the order they apply (their names sort in that order).


@migration
def m001_conversations(db: sqlite3.Connection) -> None:
    db.executescript(
        """
        CREATE TABLE chats (
            id INTEGER PRIMARY KEY,            -- Telegram chat id
            type TEXT NOT NULL,                -- private, group, supergroup, channel
            title TEXT,
            conversation INTEGER NOT NULL DEFAULT 1,  -- /reset starts the next one
            created_at REAL NOT NULL
        );
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,            -- Telegram user id
            username TEXT,
            first_name TEXT NOT NULL DEFAULT '',
            language_code TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            chat_id INTEGER NOT NULL REFERENCES chats(id),
            conversation INTEGER NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
            text TEXT NOT NULL,
            user_id INTEGER REFERENCES users(id),
            telegram_message_id INTEGER,       -- the user's message, or the first part of a reply
            telegram_message_ids TEXT,         -- JSON list: every part of a reply
            reply_to INTEGER REFERENCES messages(id),
            created_at REAL NOT NULL
        );
        CREATE UNIQUE INDEX messages_user_message
            ON messages(chat_id, telegram_message_id) WHERE role = 'user';
        CREATE INDEX messages_history ON messages(chat_id, conversation, id);
        CREATE UNIQUE INDEX messages_one_reply ON messages(reply_to) WHERE reply_to IS NOT NULL;
        CREATE TABLE chat_settings (
            chat_id INTEGER PRIMARY KEY REFERENCES chats(id),
            system_prompt TEXT,
            model TEXT,
            updated_at REAL NOT NULL
        );
        """
    )


@migration
def m002_knowledge(db: sqlite3.Connection) -> None:
    """Documents the bot learned, their chunks (text, place, vector) and a full-text index."""
    db.executescript(
        """
        CREATE TABLE kb_documents (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            scope TEXT NOT NULL,               -- user:<id>, chat:<id> or global
            name TEXT NOT NULL,
            content_hash TEXT NOT NULL,        -- sha256 of the file: the same file is known
            size INTEGER NOT NULL,
            pages INTEGER,
            first_heading TEXT,
            chunks INTEGER NOT NULL,
            embedder TEXT NOT NULL,            -- the model that made the vectors
            created_at REAL NOT NULL,
            UNIQUE (scope, name)
        );
        CREATE INDEX kb_documents_hash ON kb_documents(scope, content_hash);
        CREATE TABLE kb_chunks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            document_id INTEGER NOT NULL REFERENCES kb_documents(id) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            text TEXT NOT NULL,
            page INTEGER,
            heading TEXT,
            embedding BLOB NOT NULL            -- float32, unit length
        );
        CREATE INDEX kb_chunks_document ON kb_chunks(document_id);
        -- rowid = kb_chunks.id; rows are removed with their chunks by the repository
        CREATE VIRTUAL TABLE kb_chunks_fts USING fts5(
            text, heading, tokenize = 'unicode61 remove_diacritics 2'
        );
        -- how many chunks hold each word: very common words are left out of BM25 queries
        CREATE VIRTUAL TABLE kb_chunks_vocab USING fts5vocab(kb_chunks_fts, 'row');
        CREATE TABLE kb_last_sources (
            chat_id INTEGER PRIMARY KEY,
            passages TEXT NOT NULL,            -- JSON: the passages behind the last answer
            created_at REAL NOT NULL
        );
        """
    )


@migration
def m003_voice(db: sqlite3.Connection) -> None:
    db.executescript(
        """
        CREATE TABLE voice_settings (
            chat_id INTEGER PRIMARY KEY,       -- Telegram chat id
            reply_mode TEXT NOT NULL DEFAULT 'spoken'
                CHECK (reply_mode IN ('off', 'spoken', 'always')),
            language TEXT,                     -- NULL: the server's STT_LANGUAGE
            show_transcript INTEGER NOT NULL DEFAULT 1,
            updated_at REAL NOT NULL
        );
        """
    )


@migration
def m004_teaching_awaited(db: sqlite3.Connection) -> None:
    """Who said /teach and has yet to send the text: it must survive a restart."""
    db.executescript(
        """
        CREATE TABLE kb_teaching_awaited (
            chat_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            scope TEXT NOT NULL,               -- where the next text or file goes
            created_at REAL NOT NULL,
            PRIMARY KEY (chat_id, user_id)
        );
        """
    )


@migration
def m005_training_jobs(db: sqlite3.Connection) -> None:
    """Offline fine-tuning jobs: one row per `train start`, updated by its worker process."""
    db.executescript(
        """
        CREATE TABLE training_jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN
                ('queued', 'running', 'kept', 'discarded', 'failed', 'cancelled', 'interrupted')),
            data_path TEXT NOT NULL,
            validation_path TEXT,
            options TEXT NOT NULL,             -- JSON: the TrainOptions
            pid INTEGER,                       -- the worker process while it runs
            step INTEGER NOT NULL DEFAULT 0,
            total INTEGER NOT NULL DEFAULT 0,
            loss REAL,
            seconds_left REAL,
            phase TEXT NOT NULL DEFAULT '',    -- loading, training, measuring...
            message TEXT,                      -- the outcome, one sentence
            adapter_id TEXT,                   -- adapters/<id>/ once written
            cancel_requested INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        """
    )
