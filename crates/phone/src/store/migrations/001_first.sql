-- The first schema: contacts in address books, call history, messages.
CREATE TABLE books (
    id INTEGER PRIMARY KEY,
    -- 'local', or 'carddav' for a synced copy of a server's book.
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    url TEXT,
    account TEXT,
    ctag TEXT,
    sync_token TEXT,
    last_sync INTEGER,
    last_error TEXT,
    read_only INTEGER NOT NULL DEFAULT 0
);
INSERT INTO books (id, kind, name) VALUES (1, 'local', 'Contacts');

CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    book INTEGER NOT NULL REFERENCES books(id) ON DELETE CASCADE,
    uid TEXT NOT NULL,
    -- The contact as JSON (hookswitch_directory::Contact).
    body TEXT NOT NULL,
    name TEXT NOT NULL,
    favourite INTEGER NOT NULL DEFAULT 0,
    speed_dial INTEGER CHECK (speed_dial BETWEEN 1 AND 9),
    -- CardDAV: the card's href and etag on the server.
    href TEXT,
    etag TEXT,
    updated INTEGER NOT NULL DEFAULT 0,
    UNIQUE (book, uid)
);
CREATE UNIQUE INDEX contacts_speed_dial ON contacts (speed_dial) WHERE speed_dial IS NOT NULL;

-- The keys a caller is matched by (E.164, ext:, sip:), one row per address.
CREATE TABLE contact_keys (
    contact INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    key TEXT NOT NULL
);
CREATE INDEX contact_keys_key ON contact_keys (key);
CREATE INDEX contact_keys_contact ON contact_keys (contact);

CREATE TABLE history (
    id INTEGER PRIMARY KEY,
    -- The entry as JSON (hookswitch_phone::history::Entry).
    body TEXT NOT NULL,
    started INTEGER NOT NULL,
    -- The key of the other party, for "how often called".
    key TEXT
);
CREATE INDEX history_key ON history (key);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    peer TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX messages_peer ON messages (peer);

-- Files imported once (history.jsonl, messages.jsonl), never again.
CREATE TABLE imported (
    name TEXT PRIMARY KEY,
    at INTEGER NOT NULL,
    records INTEGER NOT NULL
);

-- Facts about the store: the number plan its keys were made with.
CREATE TABLE meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
