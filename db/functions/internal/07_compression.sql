-- lz4 for the large jsonb and text columns: at 100 KB the default pglz compression costs
-- three times the rest of a save. Set here, not in the migrations, because a server built
-- without lz4 (pip-installed binaries, some packages) must still take the schema: there
-- the columns keep the default. Idempotent: only columns not yet on lz4 are altered.
do $compression$
declare
  v_column record;
begin
  for v_column in
    select c.oid::regclass as tab, a.attname as col
      from (values ('flows', 'state_data'), ('audit_log', 'changes'), ('audit_log', 'snapshot'),
                   ('checkpoints', 'snapshot'), ('quarantine', 'document'), ('legacy_rows', 'state_text'),
                   ('legacy_pending_feedback', 'context_text'), ('legacy_pending_feedback', 'state_text'),
                   ('request_ids', 'result')) as w(t, col)
      join pg_catalog.pg_class c on c.relname = w.t and c.relnamespace = 'flowstate'::regnamespace
      join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attname = w.col
     where a.attcompression is distinct from 'l'
  loop
    begin
      execute format('alter table %s alter column %I set compression lz4', v_column.tab, v_column.col);
    exception when feature_not_supported then
      raise notice 'this server has no lz4: %.% keeps the default compression', v_column.tab, v_column.col;
      exit;
    end;
  end loop;
end
$compression$;
