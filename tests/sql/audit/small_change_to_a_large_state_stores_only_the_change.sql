-- Audit storage follows the size of a change, not of the state: the first version is a
-- full snapshot, and a one-key change to a ~200 KB state_data stores a changes row (no
-- snapshot) far smaller than the state, from which the new state rebuilds exactly.
begin;
\ir ../_helpers.sql
select plan(6);

select gen_random_uuid() as flow_id \gset
select jsonb_object_agg('key_' || i, md5(i::text) || md5((i * 7)::text)) as big
  from generate_series(1, 2500) i \gset
set local role flowstate_app;
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => :'big'), null,
                                 flowstate_tests.ctx()) is not null as created \gset
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => :'big'::jsonb || '{"key_17": "changed"}'),
                                 1, flowstate_tests.ctx()) is not null as saved \gset
reset role;

select cmp_ok(octet_length(:'big'), '>', 190000, 'the state is about 200 KB');
select ok((select snapshot is not null and changes is null from flowstate.audit_log where flow_id = :'flow_id' and new_version = 1),
          'version 1 is stored as a snapshot');
select ok((select snapshot is null and changes is not null from flowstate.audit_log where flow_id = :'flow_id' and new_version = 2),
          'version 2 is stored as changes only');
select cmp_ok((select pg_column_size(changes) from flowstate.audit_log where flow_id = :'flow_id' and new_version = 2),
              '<', 200, 'the changes row is a few dozen bytes');
select is((select changes from flowstate.audit_log where flow_id = :'flow_id' and new_version = 2),
          '[[["state_data", "key_17"], "changed"]]'::jsonb, 'it holds exactly the changed key');
select is(flowstate._jsonb_patch((select snapshot from flowstate.audit_log where flow_id = :'flow_id' and new_version = 1),
                                 (select changes from flowstate.audit_log where flow_id = :'flow_id' and new_version = 2)) -> 'state_data',
          flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx()) -> 'state_data',
          'snapshot plus changes rebuild the current state_data');

select * from finish();
rollback;
