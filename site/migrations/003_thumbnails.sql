-- Thumbnails of the team photos, made by the worker and served by the web.
CREATE TABLE thumbnails (
  file text PRIMARY KEY,
  content_type text NOT NULL,
  data bytea NOT NULL,
  width integer NOT NULL,
  height integer NOT NULL,
  made_at timestamptz NOT NULL DEFAULT now()
);
