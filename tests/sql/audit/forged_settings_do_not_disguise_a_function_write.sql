-- Saves, puts and transitions write their own audit row in the same statement as the change,
-- from their arguments: settings set by hand beforehand (as the application role or as a DBA)
-- change neither the operation, the user nor the label recorded, nor skip the row.
begin;
\ir ../_helpers.sql
select plan(6);

select flowstate_tests.make_flow() as flow_id \gset
set local role flowstate_app;
select set_config('flowstate.operation', 'checkpoint', true), set_config('flowstate.label', 'forged', true),
       set_config('flowstate.user_id', '00000000-0000-4000-c000-000000000099', true) \gset
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"step": 1}'), 1,
                                 flowstate_tests.ctx(1, 2)) is not null as saved \gset
select set_config('flowstate.operation', 'reset', true) \gset
select flowstate.flow_put_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"step": 2}'), 'a_step',
                                flowstate_tests.ctx(1, 3)) is not null as put \gset
select set_config('flowstate.operation', 'admin_update', true), set_config('flowstate.label', 'forged again', true) \gset
select flowstate.flow_transition_phase(:'flow_id', 'field_mapping', 3, flowstate_tests.ctx(1, 4)) is not null as moved \gset
reset role;

select is(flowstate_tests.audit_count(:'flow_id'), 4::bigint, 'as the application role: one row for the create and one per call');
select results_eq(
  format($$ select operation::text, old_version, new_version, actor_user_id::text, actor_role, label
              from flowstate.audit_log where flow_id = %L and operation <> 'create' order by audit_id $$, :'flow_id'),
  format($$ values ('save', 1::bigint, 2::bigint, %L, 'flowstate_app', null::text),
                   ('put', 2, 3, %L, 'flowstate_app', 'a_step'),
                   ('transition', 3, 4, %L, 'flowstate_app', null) $$,
         flowstate_tests.ctx(1, 2) ->> 'user_id', flowstate_tests.ctx(1, 3) ->> 'user_id', flowstate_tests.ctx(1, 4) ->> 'user_id'),
  'each row reads as the call it was, by the context''s user, with the call''s label');
select is((select count(*) from flowstate.audit_log where flow_id = :'flow_id'
            and (actor_user_id = '00000000-0000-4000-c000-000000000099' or label like 'forged%')),
          0::bigint, 'the forged user and labels appear nowhere');

-- A DBA (flowstate_admin) calling the functions with forged settings: the same.
set local role flowstate_admin;
select set_config('flowstate.operation', 'checkpoint', true), set_config('flowstate.label', 'forged', true),
       set_config('flowstate.user_id', '00000000-0000-4000-c000-000000000099', true) \gset
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', 'field_mapping', '{data_import}', '{"step": 3}'), 4,
                                 flowstate_tests.ctx(1, 5)) is not null as saved \gset
reset role;
select is((select jsonb_build_object('operation', operation, 'new_version', new_version, 'user', actor_user_id,
                                     'role', actor_role, 'label', label)
             from flowstate.audit_log where flow_id = :'flow_id' order by audit_id desc limit 1),
          jsonb_build_object('operation', 'save', 'new_version', 5, 'user', flowstate_tests.ctx(1, 5) ->> 'user_id',
                             'role', 'flowstate_admin', 'label', null),
          'as a DBA: the save reads as a save by the context''s user');
select is(flowstate.flow_state_at(:'flow_id', 5, flowstate_tests.ctx()) -> 'state_data', '{"step": 3}'::jsonb,
          'and its content is in the history');

-- The application role cannot write the table itself, whatever it sets.
set local role flowstate_app;
select set_config('flowstate.operation', 'save', true) \gset
select throws_ok(format($$ update flowstate.flows set flow_version = flow_version + 1, state_data = '{}' where flow_id = %L $$,
                        :'flow_id'), '42501', null, 'a direct update by the application role is refused');
reset role;

select * from finish();
rollback;
