-- Hot paths use index lookups: flows has an index led by flow_id (its primary key) and
-- one led by updated_at; audit rows are found by (flow_id, version).
begin;
\ir ../_helpers.sql
select plan(4);

select ok(exists (select from pg_index i where i.indrelid = 'flowstate.flows'::regclass and i.indisunique
                    and i.indkey[0] = (select attnum from pg_attribute where attrelid = 'flowstate.flows'::regclass and attname = 'flow_id')),
          'flows has a unique index led by flow_id');
select col_is_pk('flowstate', 'flows', 'flow_id', 'flow_id is the primary key of flows');
select ok(exists (select from pg_index i where i.indrelid = 'flowstate.flows'::regclass
                    and i.indkey[0] = (select attnum from pg_attribute where attrelid = 'flowstate.flows'::regclass and attname = 'updated_at')),
          'flows has an index led by updated_at');
select ok(exists (select from pg_index i where i.indrelid = 'flowstate.audit_log'::regclass
                    and i.indkey[0] = (select attnum from pg_attribute where attrelid = 'flowstate.audit_log'::regclass and attname = 'flow_id')),
          'audit_log has an index led by flow_id');

select * from finish();
rollback;
