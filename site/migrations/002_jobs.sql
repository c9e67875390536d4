-- Background jobs for the worker. A job being worked on is a row locked by the
-- worker's transaction (FOR UPDATE SKIP LOCKED), so there is no "running" state
-- to clean up after a crash: the lock goes with the connection.
CREATE TABLE jobs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL,
  key text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}',
  state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'done', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 5,
  last_error text,
  run_after timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- one job per thing to do: enqueueing twice is a no-op
  UNIQUE (kind, key)
);

CREATE INDEX jobs_ready ON jobs (run_after, id) WHERE state = 'queued';
