-- Who holds a source's lease: the holder id of a poller process, which
-- holds a session-level advisory lock on that id for as long as it lives
-- (src/poller/holder.rs). A lease whose holder's lock is gone is taken over
-- at once; NULL (an API refresh, or a lease from before this column) is
-- respected until it expires.
ALTER TABLE sources ADD COLUMN lease_holder integer;
