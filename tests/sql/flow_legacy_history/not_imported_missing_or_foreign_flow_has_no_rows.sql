-- No rows for a flow created in PostgreSQL (not imported), a missing flow, or another
-- tenant's imported flow; its own tenant reads it. A bad context is FS001.
begin;
\ir ../_helpers.sql
select plan(5);

select flowstate_tests.make_flow() as native \gset
select flowstate.flow_id_for('h', flowstate_tests.ctx(2)) as theirs \gset
set local role flowstate_app;
select flowstate.flow_import_legacy('h', '{1}', '{a}', '{t}', '{"{}"}', '{"fingerprint": "f"}', flowstate_tests.ctx(2)) is not null as imported \gset

select is_empty(format($$ select * from flowstate.flow_legacy_history(%L, flowstate_tests.ctx()) $$, :'native'),
                'a flow that was not imported has no legacy rows');
select is_empty($$ select * from flowstate.flow_legacy_history(gen_random_uuid(), flowstate_tests.ctx()) $$, 'nor has a missing one');
select is_empty(format($$ select * from flowstate.flow_legacy_history(%L, flowstate_tests.ctx(1)) $$, :'theirs'),
                'nor another tenant''s imported flow');
select is((select count(*) from flowstate.flow_legacy_history(:'theirs', flowstate_tests.ctx(2))), 1::bigint, 'its own tenant reads it');
select is(flowstate_tests.context_refusals(format($$ select * from flowstate.flow_legacy_history(%L, %%s) $$, :'theirs')),
          array['FS001', 'FS001', 'FS001'], 'a malformed, non-object or (for the app role) NULL context is FS001');
reset role;

select * from finish();
rollback;
