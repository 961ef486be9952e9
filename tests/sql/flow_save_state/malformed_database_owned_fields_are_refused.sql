-- The database-owned fields, when present, must be well-formed: an integer flow_version of at
-- least 1, ISO 8601 timestamps with a time zone, checkpoints an array of objects. Otherwise FS001
-- and nothing changes.
begin;
\ir ../_helpers.sql
select plan(14);

select flowstate_tests.make_flow() as flow_id \gset
set local role flowstate_app;
select flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) as before \gset

select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, %L, 1, flowstate_tests.ctx()) $$,
                                          :'flow_id', flowstate_tests.doc(:'flow_id') || bad.field)) ->> 'sqlstate',
          'FS001', bad.why)
  from (values ('{"flow_version": "2"}'::jsonb, 'flow_version as a string is FS001'),
               ('{"flow_version": 0}', 'flow_version 0 is FS001'),
               ('{"flow_version": -3}', 'a negative flow_version is FS001'),
               ('{"flow_version": 1.5}', 'a fractional flow_version is FS001'),
               ('{"flow_version": null}', 'a null flow_version is FS001'),
               ('{"created_at": "yesterday"}', 'created_at that is no timestamp is FS001'),
               ('{"created_at": "2026-01-31T12:00:00"}', 'created_at without a time zone is FS001'),
               ('{"created_at": "2026-13-31T12:00:00Z"}', 'created_at in month 13 is FS001'),
               ('{"updated_at": 1767182400}', 'updated_at as a number is FS001'),
               ('{"checkpoints": {}}', 'checkpoints as an object is FS001'),
               ('{"checkpoints": [1, 2]}', 'checkpoints holding numbers is FS001')) as bad(field, why);

select is(jsonb_array_length(flowstate_tests.outcome_of(
            format($$ select flowstate.flow_save_state(%L, %L, 1, flowstate_tests.ctx()) $$, :'flow_id',
                   flowstate_tests.doc(:'flow_id') || '{"flow_version": "x", "created_at": 1, "updated_at": "", "checkpoints": "no"}'))
            -> 'detail' -> 'errors'),
          4, 'four malformed fields are four errors');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()), :'before'::jsonb, 'the stored flow is unchanged');
reset role;
select is(flowstate_tests.audit_count(:'flow_id'), 1::bigint, 'no audit row was written');

select * from finish();
rollback;
