// The hub's schema in PostgreSQL's dialect: the same tables, columns and keys as the SQLite migrations
// (`../migrations.ts`), version for version. Text keys sort with COLLATE "C" so ORDER BY matches SQLite's byte
// order whatever the cluster's locale. Never edit a shipped migration: append a new one with the next version.
import type { Migration } from '../migrations.js';

export const postgresMigrations: Migration[] = [
  {
    version: 1,
    description: 'domain tables, outcome log, replies',
    sql: `
      CREATE TABLE users (
        id TEXT COLLATE "C" PRIMARY KEY,
        username TEXT COLLATE "C" NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE TABLE groups (
        id TEXT COLLATE "C" PRIMARY KEY,
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        owner_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
        created_at BIGINT NOT NULL
      );
      CREATE TABLE group_members (
        group_id TEXT COLLATE "C" NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
        PRIMARY KEY (group_id, user_id)
      );
      CREATE INDEX group_members_by_user ON group_members(user_id);
      CREATE TABLE streams (
        name TEXT COLLATE "C" PRIMARY KEY,
        description TEXT NOT NULL,
        creator_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
        created_at BIGINT NOT NULL
      );
      CREATE TABLE stream_groups (
        stream TEXT COLLATE "C" NOT NULL REFERENCES streams(name) ON DELETE CASCADE,
        group_id TEXT COLLATE "C" NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        PRIMARY KEY (stream, group_id)
      );
      CREATE INDEX stream_groups_by_group ON stream_groups(group_id);
      CREATE TABLE topics (
        stream TEXT COLLATE "C" NOT NULL REFERENCES streams(name) ON DELETE CASCADE,
        topic TEXT COLLATE "C" NOT NULL,
        status INTEGER NOT NULL,
        PRIMARY KEY (stream, topic)
      );
      CREATE TABLE reviewers (
        stream TEXT COLLATE "C" NOT NULL REFERENCES streams(name) ON DELETE CASCADE,
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
        PRIMARY KEY (stream, user_id)
      );
      CREATE TABLE votes (
        stream TEXT COLLATE "C" NOT NULL,
        topic TEXT COLLATE "C" NOT NULL,
        reviewer_id TEXT COLLATE "C" NOT NULL,
        vote INTEGER NOT NULL,
        PRIMARY KEY (stream, topic, reviewer_id)
      );
      CREATE TABLE messages (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id TEXT COLLATE "C" NOT NULL UNIQUE,
        stream TEXT COLLATE "C" NOT NULL REFERENCES streams(name),
        topic TEXT COLLATE "C" NOT NULL,
        sender_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
        content TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        edited_at BIGINT,
        deleted BOOLEAN NOT NULL DEFAULT FALSE
      );
      CREATE INDEX messages_by_topic ON messages(stream, topic, seq);
      CREATE TABLE outcome_counters (
        user_id TEXT COLLATE "C" PRIMARY KEY,
        last_id BIGINT NOT NULL
      );
      CREATE TABLE outcomes (
        user_id TEXT COLLATE "C" NOT NULL,
        id BIGINT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (user_id, id)
      );
      CREATE TABLE replies (
        user_id TEXT COLLATE "C" NOT NULL,
        trace_id TEXT COLLATE "C" NOT NULL,
        reply TEXT NOT NULL,
        PRIMARY KEY (user_id, trace_id)
      );
    `,
  },
  {
    version: 2,
    description: 'stream administrators named by the creator; narrowed messages keep their recipients',
    sql: `
      CREATE TABLE stream_admins (
        stream TEXT COLLATE "C" NOT NULL REFERENCES streams(name) ON DELETE CASCADE,
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
        PRIMARY KEY (stream, user_id)
      );
      ALTER TABLE messages ADD COLUMN narrowed BOOLEAN NOT NULL DEFAULT FALSE;
      CREATE TABLE message_recipients (
        message_id TEXT COLLATE "C" NOT NULL,
        user_id TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (message_id, user_id)
      );
    `,
  },
  {
    version: 3,
    description: 'replies: a NULL reply is a claim held by the transaction executing the command',
    sql: 'ALTER TABLE replies ALTER COLUMN reply DROP NOT NULL',
  },
  {
    version: 4,
    description: 'sign-out and password change revoke tokens (as SQLite migration 7)',
    sql: `
      ALTER TABLE users ADD COLUMN tokens_valid_after BIGINT NOT NULL DEFAULT 0;
      ALTER TABLE users ADD COLUMN deactivated_at BIGINT;
      CREATE TABLE revoked_logins (
        login_id TEXT COLLATE "C" PRIMARY KEY,
        user_id TEXT COLLATE "C" NOT NULL,
        expires_at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 5,
    description: 'outcome bodies stored once per fan-out; counter rows updated in place (HOT)',
    // A fan-out to 1,001 users wrote its body 1,001 times; now one outcome_bodies row holds it and each
    // recipient's outcome row only refers to it. outcome_body_refs counts the outcome rows still referring to a
    // body, so pruning a user's log can delete a body once no log refers to it (no index on outcomes.body_id, which
    // would cost one more index entry per recipient on every fan-out). No foreign keys from outcomes to bodies: a
    // foreign key check locks the body row once per recipient. outcome_counters is rebuilt with fillfactor 30 so a
    // counter bump finds room on its own page and is a HOT update (no index entry, a small WAL record).
    sql: `
      CREATE TABLE outcome_bodies (
        id BIGSERIAL PRIMARY KEY,
        body TEXT NOT NULL
      );
      CREATE TABLE outcome_body_refs (
        body_id BIGINT PRIMARY KEY,
        refs INTEGER NOT NULL
      ) WITH (fillfactor = 50);

      ALTER TABLE outcomes ADD COLUMN body_id BIGINT;
      UPDATE outcomes SET body_id = nextval('outcome_bodies_id_seq');
      INSERT INTO outcome_bodies (id, body) SELECT body_id, body FROM outcomes;
      INSERT INTO outcome_body_refs (body_id, refs) SELECT body_id, 1 FROM outcomes;
      ALTER TABLE outcomes DROP COLUMN body;
      ALTER TABLE outcomes ALTER COLUMN body_id SET NOT NULL;

      CREATE TABLE outcome_counters_hot (
        user_id TEXT COLLATE "C" PRIMARY KEY,
        last_id BIGINT NOT NULL
      ) WITH (fillfactor = 30);
      INSERT INTO outcome_counters_hot (user_id, last_id) SELECT user_id, last_id FROM outcome_counters;
      DROP TABLE outcome_counters;
      ALTER TABLE outcome_counters_hot RENAME TO outcome_counters;
      ALTER INDEX outcome_counters_hot_pkey RENAME TO outcome_counters_pkey;
    `,
  },
  {
    version: 6,
    description: "the user's read state: read cursors and muted topics shared by all their devices (as SQLite migration 8)",
    sql: `
      CREATE TABLE user_read_cursors (
        user_id TEXT COLLATE "C" NOT NULL,
        stream TEXT COLLATE "C" NOT NULL,
        topic TEXT COLLATE "C" NOT NULL,
        up_to BIGINT NOT NULL,
        PRIMARY KEY (user_id, stream, topic)
      );
      CREATE TABLE user_muted_topics (
        user_id TEXT COLLATE "C" NOT NULL,
        stream TEXT COLLATE "C" NOT NULL,
        topic TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (user_id, stream, topic)
      );
    `,
  },
  {
    version: 7,
    description: 'extension records and API keys of the publish API (as SQLite migration 9)',
    sql: `
      CREATE TABLE extension_records (
        extension TEXT COLLATE "C" NOT NULL,
        key TEXT COLLATE "C" NOT NULL,
        value TEXT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (extension, key)
      );
      CREATE TABLE api_keys (
        id TEXT COLLATE "C" PRIMARY KEY,
        name TEXT NOT NULL,
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
        hash TEXT COLLATE "C" NOT NULL UNIQUE,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT
      );
    `,
  },
];
