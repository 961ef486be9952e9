-- Each save, put and transition writes exactly one audit row with its operation, old and
-- new version, old and new phase, the context's user and the calling role.
begin;
\ir ../_helpers.sql
select plan(4);

select flowstate_tests.make_flow() as flow_id \gset
set local role flowstate_app;
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"step": 1}'), 1,
                                 flowstate_tests.ctx(1, 2)) is not null as saved \gset
select flowstate.flow_put_state(:'flow_id', flowstate_tests.doc(:'flow_id', 'field_mapping', '{data_import}'), 'map_fields',
                                flowstate_tests.ctx(1, 3)) is not null as put \gset
select flowstate.flow_transition_phase(:'flow_id', 'data_cleansing', 3, flowstate_tests.ctx(1, 4)) is not null as moved \gset
reset role;

select is(flowstate_tests.audit_count(:'flow_id'), 4::bigint, 'one row for the create and one per call');
select results_eq(
  format($$ select operation::text, old_version, new_version, old_phase, new_phase, actor_user_id::text, actor_role, label
              from flowstate.audit_log where flow_id = %L and operation <> 'create' order by audit_id $$, :'flow_id'),
  format($$ values ('save', 1::bigint, 2::bigint, 'data_import', 'data_import', %L, 'flowstate_app', null::text),
                   ('put', 2, 3, 'data_import', 'field_mapping', %L, 'flowstate_app', 'map_fields'),
                   ('transition', 3, 4, 'field_mapping', 'data_cleansing', %L, 'flowstate_app', null) $$,
         flowstate_tests.ctx(1, 2) ->> 'user_id', flowstate_tests.ctx(1, 3) ->> 'user_id', flowstate_tests.ctx(1, 4) ->> 'user_id'),
  'each row records its operation, versions, phases, user and role');
select is((select count(*) from flowstate.audit_log where flow_id = :'flow_id' and (changes is null) = (snapshot is null)),
          0::bigint, 'each row holds either changes or a snapshot');
select is((select max(new_version) from flowstate.audit_log where flow_id = :'flow_id'), 4::bigint,
          'the last audit row has the current version');

select * from finish();
rollback;
