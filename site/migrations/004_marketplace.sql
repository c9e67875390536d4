-- The marketplace around the catalog: members (personal data), who owns which
-- shop, orders and messages between members. Production holds real people's data
-- here; princess gets it scrubbed (see data/scrub-rules.yaml).
CREATE TABLE members (
  id bigint PRIMARY KEY,
  name text NOT NULL,
  email text NOT NULL UNIQUE,
  address text NOT NULL,
  phone text NOT NULL,
  birth_date date NOT NULL,
  last_login_ip inet,
  joined_at timestamptz NOT NULL
);

ALTER TABLE shops ADD COLUMN owner_id bigint REFERENCES members (id);

CREATE TABLE orders (
  id bigint PRIMARY KEY,
  buyer_id bigint NOT NULL REFERENCES members (id),
  item_id integer NOT NULL REFERENCES items (id),
  quantity integer NOT NULL CHECK (quantity > 0),
  total_cents integer NOT NULL CHECK (total_cents >= 0),
  shipping_address text NOT NULL,
  ordered_at timestamptz NOT NULL
);

CREATE INDEX orders_buyer_id ON orders (buyer_id);
CREATE INDEX orders_item_id ON orders (item_id);

CREATE TABLE messages (
  id bigint PRIMARY KEY,
  sender_id bigint NOT NULL REFERENCES members (id),
  recipient_id bigint NOT NULL REFERENCES members (id),
  body text NOT NULL,
  sent_at timestamptz NOT NULL
);

CREATE INDEX messages_sender_id ON messages (sender_id);
CREATE INDEX messages_recipient_id ON messages (recipient_id);
