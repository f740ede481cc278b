-- Queues (filtered views of one exchange) and their durable consumers.
CREATE TABLE queues (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name         text        NOT NULL UNIQUE,
  exchange_id  bigint      NOT NULL REFERENCES exchanges (id) ON DELETE CASCADE,
  bindings     text[]      NOT NULL DEFAULT '{}',  -- sorted, unique
  limit_size   integer     NOT NULL CHECK (limit_size > 0),
  -- The queue holds the exchange's matching events with offsets above this.
  start_offset bigint      NOT NULL CHECK (start_offset >= 0),
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- Cascading an exchange delete, and finding the queues of an exchange.
CREATE INDEX queues_exchange_id ON queues (exchange_id);

-- A named cursor on a queue: the last acknowledged exchange offset.
CREATE TABLE consumers (
  queue_id         bigint      NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
  name             text        NOT NULL,
  committed_offset bigint      NOT NULL CHECK (committed_offset >= 0),
  created_at       timestamptz NOT NULL,
  last_active_at   timestamptz NOT NULL,
  PRIMARY KEY (queue_id, name)
);
