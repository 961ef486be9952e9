-- The side-input limits and the checkpoint list's bound are rows of flowstate.settings, like
-- the document limits: documented defaults a DBA can change with an UPDATE.
begin;
\ir ../_helpers.sql
select plan(2);

select set_eq($$ select name, value from flowstate.settings
                  where name in ('max_name_bytes', 'max_label_bytes', 'max_feedback_bytes', 'max_batch_items', 'checkpoints_in_document') $$,
              $$ values ('max_name_bytes', 200::bigint), ('max_label_bytes', 1024), ('max_feedback_bytes', 1048576),
                        ('max_batch_items', 1000), ('checkpoints_in_document', 10) $$,
              'each limit has its default');
select is_empty($$ select name from flowstate.settings where length(description) < 40 $$,
                'and every setting says what it limits');

select * from finish();
rollback;
