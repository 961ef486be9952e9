-- flow_version rises by exactly one per change, a DBA's direct UPDATE included; otherwise
-- an application holding the old version would overwrite the DBA's fix without FS002, and
-- two audit rows would claim the same version.
begin;
\ir ../_helpers.sql
select plan(4);

select flowstate_tests.make_flow(p_versions => 2) as flow_id \gset
update flowstate.flows set state_data = '{"fixed by": "dba"}' where flow_id = :'flow_id';

select is((flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) ->> 'flow_version')::int, 3,
          'the direct update made version 3');
select is((select new_version from flowstate.audit_log where flow_id = :'flow_id' and operation = 'admin_update'), 3::bigint,
          'its audit row records version 3');
set local role flowstate_app;
select throws_ok(format($$ select flowstate.flow_save_state(%L, flowstate_tests.doc(%L), 2, flowstate_tests.ctx()) $$,
                        :'flow_id', :'flow_id'),
                 'FS002', null, 'a save based on version 2 no longer overwrites the fix');
select is(flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) -> 'state_data', '{"fixed by": "dba"}'::jsonb,
          'the DBA''s fix is kept');

select * from finish();
rollback;
