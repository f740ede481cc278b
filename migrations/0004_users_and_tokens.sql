-- Who may call the server, what each user may do, and their bearer tokens.
CREATE TABLE users (
  name       text        PRIMARY KEY,
  created_at timestamptz NOT NULL
);

-- action: 1 admin (pattern ''), 2 publish to the exchanges, 3 subscribe to
-- the queues whose names match pattern (topic syntax: '*' one word, '#' any).
CREATE TABLE user_permissions (
  user_name text     NOT NULL REFERENCES users (name) ON DELETE CASCADE,
  action    smallint NOT NULL CHECK (action IN (1, 2, 3)),
  pattern   text     NOT NULL,
  PRIMARY KEY (user_name, action, pattern)
);

-- Only a SHA-256 hash of each token is stored; the token itself is shown
-- once, when it is issued. id is public (the token starts with evr_<id>_).
CREATE TABLE user_tokens (
  id          text        PRIMARY KEY,
  user_name   text        NOT NULL REFERENCES users (name) ON DELETE CASCADE,
  hash        bytea       NOT NULL UNIQUE CHECK (length(hash) = 32),
  description text        NOT NULL,
  created_at  timestamptz NOT NULL
);

CREATE INDEX user_tokens_user_name ON user_tokens (user_name);
