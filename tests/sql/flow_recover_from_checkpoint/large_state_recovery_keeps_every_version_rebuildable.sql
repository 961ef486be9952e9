-- Recovering a ~100 KB state (audited as change records, not copies) restores it exactly,
-- and the versions before and after the recovery all rebuild exactly: the recovery is a
-- change like any other, history is never rewritten.
begin;
\ir ../_helpers.sql
select plan(4);

create temporary table saved (version bigint primary key, document jsonb) on commit drop;
select gen_random_uuid() as flow_id \gset
select flowstate_tests.large_state(20, 30) as big \gset
insert into saved select 1, flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => :'big'), null,
                                                      flowstate_tests.ctx()) || jsonb_build_object('state_data', :'big'::jsonb);
select flowstate.flow_create_checkpoint(:'flow_id', null, null, flowstate_tests.ctx()) as checkpoint_id \gset
insert into saved select 2, flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => :'big'::jsonb - 'config' || '{"x": 1}'), 1,
                                                      flowstate_tests.ctx()) || jsonb_build_object('state_data', :'big'::jsonb - 'config' || '{"x": 1}');
insert into saved select 3, flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => jsonb_set(:'big'::jsonb - 'config', '{sections,s001}', '0')), 2,
                                                      flowstate_tests.ctx()) || jsonb_build_object('state_data', jsonb_set(:'big'::jsonb - 'config', '{sections,s001}', '0'));
insert into saved select 4, flowstate.flow_recover_from_checkpoint(:'flow_id', :'checkpoint_id', 3, flowstate_tests.ctx());
insert into saved select 5, flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => :'big'::jsonb || '{"after": true}'), 4,
                                                      flowstate_tests.ctx()) || jsonb_build_object('state_data', :'big'::jsonb || '{"after": true}');

select is((select document -> 'state_data' from saved where version = 4), :'big'::jsonb, 'the checkpoint''s large state is restored exactly');
select is((select count(*) from flowstate.audit_log where flow_id = :'flow_id' and new_version between 2 and 5
              and changes is not null and snapshot is null), 4::bigint,
          'versions 2 to 5, the recovery included, are change records');
select cmp_ok((select pg_column_size(changes) from flowstate.audit_log where flow_id = :'flow_id' and operation = 'recover'),
              '<', 20000, 'the recovery''s record holds what it changed back, not the whole state');
select is_empty(format($$ select version from saved
                           where flowstate.flow_state_at(%L, version, flowstate_tests.ctx()) - 'checkpoints'
                                 is distinct from document - 'checkpoints' $$, :'flow_id'),
                'every version rebuilds exactly');

select * from finish();
rollback;
