-- Why: zero-loss migration of CrewAI's SQLite flow state. Every legacy row is kept with its
-- exact original text (jsonb cannot hold NaN, Infinity, \u0000 or lone surrogates), and a
-- ledger records what was imported from which source, so a re-run or a resumed run never
-- duplicates or loses anything. Written only by flowstate.flow_import_legacy.
-- depends: 0004_pending_feedback

-- One row per legacy flow_states row, exactly as CrewAI wrote it. Append-only history.
create table flowstate.legacy_rows (
  flow_id          uuid not null,
  legacy_id        bigint not null,
  method_name      text not null,
  legacy_timestamp text not null,
  state_text       text not null,
  state_sha256     text not null check (state_sha256 ~ '^[0-9a-f]{64}$'),
  primary key (flow_id, legacy_id)
);
-- (lz4 for the legacy text, most of a migration's bytes: db/functions/07_compression.sql.)
comment on table flowstate.legacy_rows is
'Every legacy (CrewAI SQLite flow_states) row of an imported flow, with its exact original text; latest = highest legacy_id. Read with flowstate.flow_legacy_history.';
comment on column flowstate.legacy_rows.legacy_timestamp is 'The original timestamp text, unparsed.';
comment on column flowstate.legacy_rows.state_text is 'The original state_json text, byte for byte.';
comment on column flowstate.legacy_rows.state_sha256 is 'sha256 (hex) of state_text''s UTF-8 bytes.';

-- CrewAI's pending_feedback row of a paused flow, exactly as written (the parsed form is in
-- flowstate.pending_feedback).
create table flowstate.legacy_pending_feedback (
  flow_id         uuid primary key,
  legacy_id       bigint not null,
  context_text    text not null,
  state_text      text not null,
  created_at_text text not null
);
comment on table flowstate.legacy_pending_feedback is
'The legacy pending_feedback row of an imported paused flow, with its exact original texts.';

-- What was imported: one row per flow, written in the same transaction as the flow.
create table flowstate.migration_ledger (
  flow_id            uuid primary key,
  client_account_id  uuid not null,
  engagement_id      uuid not null,
  external_id        text not null,
  source_fingerprint text not null,
  source             jsonb not null default '{}' check (jsonb_typeof(source) = 'object'),
  row_count          bigint not null check (row_count >= 1),
  last_legacy_id     bigint not null,
  content_hash       text not null check (content_hash ~ '^[0-9a-f]{64}$'),
  has_pending        boolean not null,
  flow_version       bigint not null,
  mapped             text[] not null default '{}',
  migrated_by        uuid,
  migrated_at        timestamptz not null default now()
);
create index migration_ledger_source_idx on flowstate.migration_ledger (source_fingerprint);
comment on table flowstate.migration_ledger is
'One row per imported legacy flow: from which source (fingerprint), how many rows, and their content hash (see flowstate._legacy_content_hash). A flow is imported once; the same flow with other content is a conflict.';
comment on column flowstate.migration_ledger.flow_version is 'The flow version the import created.';
comment on column flowstate.migration_ledger.mapped is 'How the current state was mapped to fit jsonb and the document schema (empty: taken as is).';

-- Same tenant isolation as flowstate.flows.
alter table flowstate.migration_ledger enable row level security;
alter table flowstate.migration_ledger force row level security;
create policy migration_ledger_tenant on flowstate.migration_ledger to flowstate_owner
  using (
    current_setting('flowstate.all_tenants', true) = 'on'
    or (client_account_id = nullif(current_setting('flowstate.client_account_id', true), '')::uuid
        and engagement_id = nullif(current_setting('flowstate.engagement_id', true), '')::uuid));
create policy migration_ledger_admin on flowstate.migration_ledger to flowstate_admin using (true);
