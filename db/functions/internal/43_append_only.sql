-- flowstate._append_only
-- Trigger: the audit trail, checkpoints, quarantine, legacy rows and the erasure log are never
-- updated or deleted, not even by their owner. Only flow_audit_retention may rewrite old audit
-- history; a flow's rows may be deleted only in the transaction that wrote its tombstone
-- (flowstate._erasing: flow_delete, flow_erase_tenant, flow_retention_run). Tombstones stay.
create or replace function flowstate._append_only()
returns trigger
language plpgsql
as $$
begin
  if tg_op = 'DELETE' and tg_table_name <> 'erasures' then
    if flowstate._erasing(old.flow_id) then
      return old;
    end if;
  -- Row triggers fire per partition, so the table name may be audit_log_y2026m01 and the like.
  elsif tg_op = 'UPDATE' and tg_table_name like 'audit\_log%' and current_setting('flowstate.retention', true) = 'on' then
    return new;
  end if;
  raise exception 'flowstate.% is append-only: % is not allowed', tg_table_name, lower(tg_op)
    using errcode = 'insufficient_privilege',
          hint = 'A flow''s content is erased by flowstate.flow_delete() (with a tombstone), old audit history by flowstate.flow_audit_retention().';
end;
$$;

comment on function flowstate._append_only() is
'Internal. Trigger: refuses UPDATE, DELETE and TRUNCATE on the append-only tables, but for a flow''s rows deleted in the transaction that wrote its tombstone (flowstate.erasures).';

create or replace trigger audit_log_append_only
  before update or delete on flowstate.audit_log
  for each row execute function flowstate._append_only();
create or replace trigger audit_log_no_truncate
  before truncate on flowstate.audit_log
  for each statement execute function flowstate._append_only();
create or replace trigger checkpoints_append_only
  before update or delete on flowstate.checkpoints
  for each row execute function flowstate._append_only();
create or replace trigger checkpoints_no_truncate
  before truncate on flowstate.checkpoints
  for each statement execute function flowstate._append_only();
create or replace trigger quarantine_append_only
  before update or delete on flowstate.quarantine
  for each row execute function flowstate._append_only();
create or replace trigger quarantine_no_truncate
  before truncate on flowstate.quarantine
  for each statement execute function flowstate._append_only();
