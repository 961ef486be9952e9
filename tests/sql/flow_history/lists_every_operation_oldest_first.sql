-- flow_history lists one row per audited operation, oldest first: create, save, put,
-- transition, checkpoint, a DBA's direct UPDATE (admin_update), the archive and reset of
-- flow_handle_corrupted, and a recovery; with the versions and phases each went between, the
-- label each carries (put: the method; checkpoint and recover: the checkpoint id; archive and
-- reset: the quarantine id), and snapshot = true where the row holds a full copy.
begin;
\ir ../_helpers.sql
select plan(5);

select flowstate_tests.make_flow(p_versions => 1) as flow_id \gset
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"step": 1}'), 1,
                                 flowstate_tests.ctx()) is not null as saved \gset
select flowstate.flow_put_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"step": 2}'), 'my_method',
                                flowstate_tests.ctx()) is not null as put \gset
select flowstate.flow_transition_phase(:'flow_id', 'field_mapping', 3, flowstate_tests.ctx()) is not null as moved \gset
select flowstate.flow_create_checkpoint(:'flow_id', null, 'mapped', flowstate_tests.ctx()) as checkpoint_id \gset
update flowstate.flows set current_phase = 'no_such_phase' where flow_id = :'flow_id';
select flowstate.flow_handle_corrupted(:'flow_id', flowstate_tests.ctx()) ->> 'quarantine_id' as quarantine_id \gset
select flowstate.flow_recover_from_checkpoint(:'flow_id', :'checkpoint_id', 6, flowstate_tests.ctx()) is not null as recovered \gset

select results_eq(
  format($$ select operation, old_version, new_version, old_phase, new_phase, label
              from flowstate.flow_history(%L, flowstate_tests.ctx()) $$, :'flow_id'),
  format($$ values ('create', null::bigint, 1::bigint, null::text, 'data_import'::text, null::text),
                   ('save', 1, 2, 'data_import', 'data_import', null),
                   ('put', 2, 3, 'data_import', 'data_import', 'my_method'),
                   ('transition', 3, 4, 'data_import', 'field_mapping', null),
                   ('checkpoint', 4, 4, 'field_mapping', 'field_mapping', %L),
                   ('admin_update', 4, 5, 'field_mapping', 'no_such_phase', null),
                   ('archive', 5, 5, 'no_such_phase', 'no_such_phase', %L),
                   ('reset', 5, 6, 'no_such_phase', 'data_import', %L),
                   ('recover', 6, 7, 'data_import', 'field_mapping', %L) $$,
         :'checkpoint_id', :'quarantine_id', :'quarantine_id', :'checkpoint_id'),
  'one row per operation, oldest first, with versions, phases and labels');
select is(array(select audit_id from flowstate.flow_history(:'flow_id', flowstate_tests.ctx())),
          array(select audit_id from flowstate.audit_log where flow_id = :'flow_id' order by audit_id),
          'exactly the flow''s audit rows, in the order they were written');
select is(array(select snapshot from flowstate.flow_history(:'flow_id', flowstate_tests.ctx())),
          array[true, true, true, true, false, true, false, true, true],
          'state changes of a small state are full copies; checkpoint and archive hold none');
select is((select count(*) from flowstate.flow_history(:'flow_id', flowstate_tests.ctx()) where changes is not null),
          0::bigint, 'and no change records');
select is((select count(*) from flowstate.flow_history(:'flow_id', flowstate_tests.ctx()) where logged_at = now()),
          9::bigint, 'each row has the time of its transaction');

select * from finish();
rollback;
