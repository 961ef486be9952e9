-- A flow too big for one call goes in parts (p_more => true) within one transaction; the
-- last part writes the flow, from all the rows. Parts must continue in id order.
begin;
\ir ../_helpers.sql
select plan(6);

select flowstate.flow_id_for('big', flowstate_tests.ctx()) as flow_id \gset
set local role flowstate_app;
select flowstate.flow_import_legacy('big', '{1,2}', '{a,b}', '{t1,t2}', '{"{\"n\": 1}","{\"n\": 2}"}',
                                    '{"fingerprint": "f"}', flowstate_tests.ctx(), p_more => true) as part1 \gset
select flowstate_tests.error_of($$ select flowstate.flow_import_legacy('big', '{2}', '{b}', '{t2}', '{"{}"}',
                                    '{"fingerprint": "f"}', flowstate_tests.ctx(), p_more => true) $$) ->> 'sqlstate' as overlap \gset
select flowstate.flow_import_legacy('big', '{3,4}', '{a,c}', '{t3,t4}', '{"{\"n\": 3}","{\"n\": 4}"}',
                                    '{"fingerprint": "f"}', flowstate_tests.ctx()) as part2 \gset
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as doc \gset
reset role;

select is(:'part1'::jsonb ->> 'status', 'staged', 'a part with p_more is staged');
select is(:'overlap'::text, 'FS001', 'a part that does not continue in id order is refused');
select is((:'part2'::jsonb ->> 'rows')::int, 4, 'the last part imports all the rows');
select is((:'doc'::jsonb ->> 'current_phase', :'doc'::jsonb -> 'phases_completed', :'doc'::jsonb -> 'state_data')::text,
          ('c', '["a", "b"]'::jsonb, '{"n": 4}'::jsonb)::text, 'phases come from every part, the state from the last row');
select is((select content_hash from flowstate.migration_ledger where flow_id = :'flow_id'),
          flowstate._legacy_content_hash('{1,2,3,4}', '{a,b,a,c}', '{t1,t2,t3,t4}',
            array(select encode(sha256(convert_to(s, 'UTF8')), 'hex') from unnest('{"{\"n\": 1}","{\"n\": 2}","{\"n\": 3}","{\"n\": 4}"}'::text[]) s)),
          'the content hash covers every part');
select is(current_setting('flowstate.import_staging', true), '', 'nothing is left staged');

select * from finish();
rollback;
