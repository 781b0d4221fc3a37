DROP INDEX deferred_by_kind;
