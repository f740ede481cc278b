-- Exchanges and their append-only event logs.
CREATE TABLE exchanges (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name       text        NOT NULL UNIQUE,
  kind       smallint    NOT NULL CHECK (kind IN (1, 2, 3)),  -- 1 fanout, 2 direct, 3 topic
  created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per event, stored once whatever the number of queues that route it.
-- event_offset is assigned by the server's single writer per exchange: gapless,
-- starting at 1, never a sequence.
CREATE TABLE events (
  exchange_id  bigint      NOT NULL REFERENCES exchanges (id) ON DELETE CASCADE,
  event_offset bigint      NOT NULL CHECK (event_offset > 0),
  id           uuid        NOT NULL,
  -- True when the publisher chose the id (so a retry may repeat it and the
  -- dedup window must remember it); false for server-generated UUIDv7s.
  publisher_id boolean     NOT NULL,
  type         text        NOT NULL,
  source       text        NOT NULL,
  headers      jsonb,                 -- NULL when the event has none
  content_type text        NOT NULL,
  payload      bytea       NOT NULL,
  event_time   timestamptz,           -- the publisher's clock, NULL when unset
  stored_at    timestamptz NOT NULL,  -- non-decreasing in offset order
  PRIMARY KEY (exchange_id, event_offset)
);

-- Dedup window reload at start, and time-based positioning.
CREATE INDEX events_exchange_stored_at ON events (exchange_id, stored_at);
