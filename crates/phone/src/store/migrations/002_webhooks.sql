-- Webhook deliveries not yet taken (a receiver that is down loses
-- nothing: they wait here across restarts), and the log of each attempt.
CREATE TABLE webhook_queue (
    id INTEGER PRIMARY KEY,
    hook TEXT NOT NULL,
    -- The event's id, sent with every attempt: the receiver's key to drop
    -- a second delivery.
    delivery TEXT NOT NULL,
    event TEXT NOT NULL,
    url TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    -- Unix milliseconds.
    next_at INTEGER NOT NULL,
    created INTEGER NOT NULL
);
CREATE INDEX webhook_queue_hook ON webhook_queue (hook, id);
CREATE UNIQUE INDEX webhook_queue_once ON webhook_queue (hook, delivery);

CREATE TABLE webhook_log (
    id INTEGER PRIMARY KEY,
    hook TEXT NOT NULL,
    delivery TEXT NOT NULL,
    event TEXT NOT NULL,
    -- Unix milliseconds.
    at INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    -- "delivered", "retry" or "given-up".
    outcome TEXT NOT NULL,
    status INTEGER,
    detail TEXT
);
CREATE INDEX webhook_log_at ON webhook_log (at);
