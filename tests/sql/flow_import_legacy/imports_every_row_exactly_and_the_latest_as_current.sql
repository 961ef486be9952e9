-- One call imports a legacy flow: every row kept byte for byte (even what jsonb cannot hold),
-- the latest row (highest id) as the current state of a crewai flow named by flow_id_for,
-- audited as an import, and recorded in the migration ledger.
begin;
\ir ../_helpers.sql
select plan(16);

select array['{"topic": "a", "n": 1}',
             '{"n": NaN, "big": Infinity, "small": -Infinity}',
             '{"nul": "x\u0000y", "lone": "\ud800", "pair": "\ud83d\ude00", "é": "ü"}'] as states \gset
select flowstate.flow_id_for('run-1', flowstate_tests.ctx()) as flow_id \gset

set local role flowstate_app;
select flowstate.flow_import_legacy('run-1', '{3,7,12}', '{start,research,write}',
         '{2026-01-01T10:00:00+00:00,2026-01-01T10:01:00+00:00,2026-01-01T10:02:00+00:00}',
         :'states'::text[], '{"fingerprint": "sha256:abc", "path": "/data/flow_states.db"}',
         flowstate_tests.ctx()) as result \gset
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as doc \gset
reset role;

select is(:'result'::jsonb ->> 'status', 'migrated', 'the call reports the flow migrated');
select is(:'result'::jsonb ->> 'flow_id', :'flow_id', 'the flow id is flow_id_for(external id, context)');
select is(array(select state_text from flowstate.legacy_rows where flow_id = :'flow_id' order by legacy_id),
          :'states'::text[], 'every row''s text is kept exactly, NaN, \u0000 and lone surrogates included');
select is(array(select state_sha256 from flowstate.legacy_rows where flow_id = :'flow_id' order by legacy_id),
          array(select encode(sha256(convert_to(s, 'UTF8')), 'hex') from unnest(:'states'::text[]) s),
          'each row stores the sha256 of its text');
select is(array(select legacy_id || ' ' || method_name || ' ' || legacy_timestamp from flowstate.legacy_rows
                 where flow_id = :'flow_id' order by legacy_id),
          array['3 start 2026-01-01T10:00:00+00:00', '7 research 2026-01-01T10:01:00+00:00',
                '12 write 2026-01-01T10:02:00+00:00'],
          'ids, method names and original timestamp texts are kept');
select is(:'doc'::jsonb ->> 'flow_type', 'crewai', 'the flow is of the open crewai type');
select is(:'doc'::jsonb ->> 'current_phase', 'write', 'the latest row''s method is the current phase');
select is(:'doc'::jsonb -> 'phases_completed', '["start", "research"]'::jsonb, 'earlier methods are completed, in order');
select is(:'doc'::jsonb -> 'state_data',
          jsonb_build_object('nul', 'x' || chr(65533) || 'y', 'lone', chr(65533), 'pair', '😀', 'é', 'ü'),
          'the latest state is the current state_data, mapped where jsonb cannot hold it');
select is(:'doc'::jsonb -> 'metadata' -> 'legacy_import' ->> 'last_timestamp', '2026-01-01T10:02:00+00:00',
          'metadata.legacy_import names the original rows');
select is(flowstate_tests.row_of(:'flow_id') ->> 'external_id', 'run-1', 'flows.external_id keeps the original id');
select is(flowstate_tests.row_of(:'flow_id') ->> 'last_label', 'write', 'the legacy method name is the last label');
select is((select array_agg(operation || ' ' || new_version || ' ' || label) from flowstate.audit_log where flow_id = :'flow_id'),
          array['import 1 write'], 'one audit row: operation import, version 1');
select is((select row(external_id, source_fingerprint, source, row_count, last_legacy_id, content_hash, flow_version)::text
             from flowstate.migration_ledger where flow_id = :'flow_id'),
          row('run-1', 'sha256:abc', '{"path": "/data/flow_states.db"}'::jsonb, 3::bigint, 12::bigint,
              :'result'::jsonb ->> 'content_hash', 1::bigint)::text,
          'the ledger records the source, row count, last id and content hash');
select is((select mapped from flowstate.migration_ledger where flow_id = :'flow_id'),
          array['\u0000 characters became U+FFFD.', 'Lone UTF-16 surrogates became U+FFFD.'],
          'the ledger says how the current state was mapped');
select is(:'result'::jsonb ->> 'content_hash',
          encode(sha256(convert_to(
            format(E'3 %s 5:start 25:2026-01-01T10:00:00+00:00\n', encode(sha256(convert_to((:'states'::text[])[1], 'UTF8')), 'hex'))
            || format(E'7 %s 8:research 25:2026-01-01T10:01:00+00:00\n', encode(sha256(convert_to((:'states'::text[])[2], 'UTF8')), 'hex'))
            || format(E'12 %s 5:write 25:2026-01-01T10:02:00+00:00\n', encode(sha256(convert_to((:'states'::text[])[3], 'UTF8')), 'hex')),
            'UTF8')), 'hex'),
          'the content hash is sha256 over "<id> <sha256 of the state> <bytes>:<method> <bytes>:<timestamp>" lines');

select * from finish();
rollback;
