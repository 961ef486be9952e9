-- flowstate._append_only
-- Trigger: the audit trail, checkpoints and quarantine are never updated or deleted, not
-- even by their owner. Only flow_audit_retention may rewrite or drop old audit history.
create or replace function flowstate._append_only()
returns trigger
language plpgsql
as $$
begin
  -- Row triggers fire per partition, so the table name may be audit_log_y2026m01 and the like.
  if tg_table_name like 'audit\_log%' and current_setting('flowstate.retention', true) = 'on' then
    return case tg_op when 'DELETE' then old else new end;
  end if;
  raise exception 'flowstate.% is append-only: % is not allowed', tg_table_name, lower(tg_op)
    using errcode = 'insufficient_privilege',
          hint = 'Old audit history is dropped by flowstate.flow_audit_retention(), and only there.';
end;
$$;

comment on function flowstate._append_only() is
'Internal. Trigger: refuses UPDATE, DELETE and TRUNCATE on the append-only tables.';

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
