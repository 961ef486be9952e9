-- Who did it: actor_user_id is the user of the request context (NULL for a NULL admin
-- context and for a DBA's direct UPDATE), actor_role the calling role: the role set with
-- SET ROLE, else the session user, never the owner the SECURITY DEFINER functions run as.
begin;
\ir ../_helpers.sql
select plan(2);

select gen_random_uuid() as flow_id \gset
set local role flowstate_app;
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id'), null, flowstate_tests.ctx(1, 7)) is not null as created \gset
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => '{"step": 1}'), 1,
                                 flowstate_tests.ctx(1, 8)) is not null as saved \gset
reset role;
set local role flowstate_admin;
select flowstate.flow_create_checkpoint(:'flow_id', null, null, flowstate_tests.ctx(1, 9)) is not null as checkpointed \gset
update flowstate.flows set metadata = '{"note": "dba"}' where flow_id = :'flow_id';
select flowstate.flow_transition_phase(:'flow_id', 'field_mapping', null, null) is not null as moved \gset
reset role;
select flowstate.flow_transition_phase(:'flow_id', 'data_cleansing', null, null) is not null as moved_again \gset

select results_eq(
  format($$ select operation, actor_user_id, actor_role from flowstate.flow_history(%L, flowstate_tests.ctx()) $$, :'flow_id'),
  format($$ values ('create', (flowstate_tests.ctx(1, 7) ->> 'user_id')::uuid, 'flowstate_app'),
                   ('save', (flowstate_tests.ctx(1, 8) ->> 'user_id')::uuid, 'flowstate_app'),
                   ('checkpoint', (flowstate_tests.ctx(1, 9) ->> 'user_id')::uuid, 'flowstate_admin'),
                   ('admin_update', null, 'flowstate_admin'),
                   ('transition', null, 'flowstate_admin'),
                   ('transition', null, %L) $$, session_user),
  'actor_user_id comes from the context, actor_role is the calling role');
select is((select count(*) from flowstate.flow_history(:'flow_id', flowstate_tests.ctx()) where actor_role = 'flowstate_owner'),
          0::bigint, 'no row names the owning role');

select * from finish();
rollback;
