-- Why: PostgreSQL re-reads a table's CHECK constraints from their stored text on every
-- INSERT and UPDATE statement (per execution, in every transaction): the twelve on flows and
-- audit_log were 15% of a 1 KB save's server time (perf: stringToNode under ExecConstraints).
-- A domain's constraints are read once per session (type cache), so the rules that concern
-- one column become domains; the rules that tie columns together stay table constraints.
-- The rules themselves do not change.
-- depends: 0005_legacy_import 0006_checkpoint_list

create domain flowstate.json_object as jsonb check (jsonb_typeof(value) = 'object');
comment on domain flowstate.json_object is 'A jsonb object (state_data, metadata).';
create domain flowstate.json_array as jsonb check (jsonb_typeof(value) = 'array');
comment on domain flowstate.json_array is 'A jsonb array (the checkpoints list).';
create domain flowstate.phase_name as text check (value <> '');
comment on domain flowstate.phase_name is 'A phase name: any non-empty text (the flow type''s graph says which).';
create domain flowstate.flow_status as text
  check (value in ('running', 'paused', 'recovered', 'completed', 'failed'));
comment on domain flowstate.flow_status is 'A flow''s status.';
create domain flowstate.version_number as bigint check (value >= 1);
comment on domain flowstate.version_number is 'A flow version: 1 at creation, one more per change.';
create domain flowstate.audit_operation as text
  check (value in ('create', 'save', 'put', 'transition', 'checkpoint', 'recover', 'reset', 'archive',
                   'import', 'admin_update', 'admin_delete'));
comment on domain flowstate.audit_operation is 'What an audit row records.';

-- Binary-compatible changes: the rows are checked against the domains, not rewritten.
alter table flowstate.flows
  drop constraint flows_flow_version_check,
  drop constraint flows_current_phase_check,
  drop constraint flows_status_check,
  drop constraint flows_state_data_check,
  drop constraint flows_metadata_check,
  drop constraint flows_checkpoints_check,
  alter column flow_version type flowstate.version_number,
  alter column current_phase type flowstate.phase_name,
  alter column status type flowstate.flow_status,
  alter column state_data type flowstate.json_object,
  alter column metadata type flowstate.json_object,
  alter column checkpoints type flowstate.json_array;

alter table flowstate.audit_log
  drop constraint audit_log_operation_check,
  alter column operation type flowstate.audit_operation;
