-- Row-level security reads the tenant from transaction settings (flowstate.*) that every
-- function publishes from its p_context. A caller who sets those settings itself gains
-- nothing: the context decides what is visible, and the audit trail records the context's
-- user and the real operation.
begin;
\ir ../_helpers.sql
select plan(5);

select flowstate_tests.make_flow(p_tenant => 2) as theirs \gset
select flowstate_tests.make_flow(p_tenant => 1) as mine \gset
set local role flowstate_app;
set local flowstate.all_tenants = 'on';
select set_config('flowstate.client_account_id', flowstate_tests.ctx(2) ->> 'client_account_id', true),
       set_config('flowstate.engagement_id', flowstate_tests.ctx(2) ->> 'engagement_id', true),
       set_config('flowstate.user_id', flowstate_tests.ctx(2, 9) ->> 'user_id', true),
       set_config('flowstate.operation', 'import', true) \gset

select is(flowstate.flow_load_state(:'theirs', flowstate_tests.ctx(1)), null::jsonb,
          'tenant 1 still cannot load tenant 2''s flow');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_save_state(%L, flowstate_tests.doc(%L), 1, flowstate_tests.ctx(1)) $$,
                                            :'theirs', :'theirs')) ->> 'sqlstate',
          'FS004', 'nor save it');
select is(flowstate_tests.outcome_of(format($$ select flowstate.flow_transition_phase(%L, 'failed', null, flowstate_tests.ctx(1)) $$,
                                            :'theirs')) ->> 'sqlstate',
          'FS004', 'nor transition it');
select ok(flowstate.flow_save_state(:'mine', flowstate_tests.doc(:'mine', p_state_data => '{"n": 1}'), 1, flowstate_tests.ctx(1, 3))
            is not null, 'its own flow saves as usual');
reset role;
select is((select jsonb_build_object('operation', operation, 'actor_user_id', actor_user_id) from flowstate.audit_log
            where flow_id = :'mine' and new_version = 2),
          jsonb_build_object('operation', 'save', 'actor_user_id', flowstate_tests.ctx(1, 3) ->> 'user_id'),
          'the audit row has the real operation and the context''s user, not the forged ones');

select * from finish();
rollback;
