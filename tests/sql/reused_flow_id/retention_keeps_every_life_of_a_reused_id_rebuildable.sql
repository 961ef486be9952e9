-- flow_audit_retention rebases each life of a reused id on its own: when both the deleted
-- flow and the new one have their snapshot in a dropped partition and a change record after
-- it in a kept one, each change record becomes a snapshot of its own flow, so the new flow's
-- kept versions still rebuild exactly, and never from the deleted flow's content.
begin;
\ir ../_helpers.sql
select plan(4);

create table flowstate.audit_log_y2020m01 partition of flowstate.audit_log for values from ('2020-01-01') to ('2020-02-01');
alter table flowstate.audit_log_y2020m01 owner to flowstate_owner;
update flowstate.settings set value = 1 where name = 'audit_diff_min_bytes';  -- change records for any state
select flowstate_tests.large_state(3, 10) as big \gset

select gen_random_uuid() as flow_id \gset
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => :'big'::jsonb || '{"life": "A1"}'),
                                 null, flowstate_tests.ctx()) is not null as a1 \gset
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => :'big'::jsonb || '{"life": "A2"}'),
                                 1, flowstate_tests.ctx()) is not null as a2 \gset
delete from flowstate.flows where flow_id = :'flow_id';
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => :'big'::jsonb || '{"life": "B1"}'),
                                 null, flowstate_tests.ctx(2)) is not null as b1 \gset
select flowstate.flow_save_state(:'flow_id', flowstate_tests.doc(:'flow_id', p_state_data => :'big'::jsonb || '{"life": "B2"}'),
                                 1, flowstate_tests.ctx(2)) is not null as b2 \gset
-- Version 1 of both lives is old.
select flowstate_tests.backdate_audit(:'flow_id', 1, '2020-01-15') as moved \gset
select is((select count(*) from flowstate.audit_log where flow_id = :'flow_id' and new_version = 2 and changes is not null),
          2::bigint, 'both lives keep a change record for version 2');

select is(flowstate.flow_audit_retention('2020-02-01') -> 'flows_rebased', '2'::jsonb, 'both lives are rebased');
select is(flowstate.flow_state_at(:'flow_id', 2, flowstate_tests.ctx(2)), flowstate.flow_load_state(:'flow_id', flowstate_tests.ctx(2)),
          'the new flow''s version 2 still rebuilds exactly');
select is((select snapshot -> 'state_data' ->> 'life' from flowstate.audit_log
            where flow_id = :'flow_id' and new_version = 2 and operation = 'save' order by audit_id limit 1),
          'A2', 'the deleted flow''s record became a snapshot of its own content');

select * from finish();
rollback;
