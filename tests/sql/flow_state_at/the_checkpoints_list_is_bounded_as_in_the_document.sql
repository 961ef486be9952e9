-- Time travel lists checkpoints as the document does: the newest checkpoints_in_document of
-- those taken before that version was written, oldest first. (Versions and checkpoints are
-- placed in the past by hand: in one transaction they would all share one time.)
begin;
\ir ../_helpers.sql
select plan(3);

update flowstate.settings set value = 2 where name = 'checkpoints_in_document';
select flowstate_tests.make_flow(p_versions => 3) as flow_id \gset
select flowstate_tests.backdate_audit(:'flow_id', 2, now() - interval '5 hours') as moved \gset
select flowstate_tests.backdate_audit(:'flow_id', 1, now() - interval '10 hours') as moved \gset
set local session_replication_role = replica;  -- checkpoints of the past, without audit rows
insert into flowstate.checkpoints (flow_id, generation, phase, label, flow_version, snapshot, created_at)
select :'flow_id', (select generation from flowstate.flows where flow_id = :'flow_id'), 'data_import', 'cp ' || n, 1, '{}',
       now() - make_interval(hours => h)
  from (values (1, 9), (2, 8), (3, 7), (4, 4)) as c(n, h);
set local session_replication_role = origin;

select is(flowstate.flow_state_at(:'flow_id', 1, flowstate_tests.ctx()) -> 'checkpoints', '[]'::jsonb,
          'version 1 came before every checkpoint');
select is(array(select c ->> 'label' from jsonb_array_elements(flowstate.flow_state_at(:'flow_id', 2, flowstate_tests.ctx()) -> 'checkpoints') c),
          '{cp 2,cp 3}', 'version 2 lists the newest two of the three before it, oldest first');
select is(array(select c ->> 'label' from jsonb_array_elements(flowstate.flow_state_at(:'flow_id', 3, flowstate_tests.ctx()) -> 'checkpoints') c),
          '{cp 3,cp 4}', 'version 3 lists the newest two of all four');

select * from finish();
rollback;
